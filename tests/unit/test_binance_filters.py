"""exchangeInfo filters → SymbolRules (spot NOTIONAL / legacy MIN_NOTIONAL, futures
MIN_NOTIONAL "notional")."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.binance.filters import order_refusal, rules_from_exchange_info, symbol_rules
from tui_trader.binance.parse import ParseError
from tui_trader.domain.enums import MarketKind, OrderStatus, OrderType, Side
from tui_trader.domain.orders import Order

PRICE = {
    "filterType": "PRICE_FILTER",
    "minPrice": "0.00000100",
    "maxPrice": "100000.00000000",
    "tickSize": "0.00000100",
}
LOT = {
    "filterType": "LOT_SIZE",
    "minQty": "0.00100000",
    "maxQty": "100000.00000000",
    "stepSize": "0.00100000",
}
NOTIONAL = {
    "filterType": "NOTIONAL",
    "minNotional": "10.00000000",
    "applyMinToMarket": False,
    "maxNotional": "10000.00000000",
    "applyMaxToMarket": False,
    "avgPriceMins": 5,
}


def entry(*filters: dict[str, Any], symbol: str = "BNBBTC") -> dict[str, Any]:
    return {"symbol": symbol, "status": "TRADING", "filters": list(filters)}


def test_spot_filters_become_rules() -> None:
    rules = symbol_rules(
        entry(PRICE, LOT, NOTIONAL, {"filterType": "MAX_NUM_ORDERS"}), MarketKind.SPOT
    )
    assert (rules.tick_size, rules.min_price, rules.max_price) == (
        Decimal("0.000001"),
        Decimal("0.000001"),
        Decimal(100000),
    )
    assert (rules.step_size, rules.min_qty, rules.max_qty) == (
        Decimal("0.001"),
        Decimal("0.001"),
        Decimal(100000),
    )
    assert (rules.min_notional, rules.max_notional) == (Decimal(10), Decimal(10000))
    assert str(rules.max_qty) == "100000"  # no 1E+5 in refusal messages


def test_parsed_rules_refuse_what_binance_would() -> None:
    rules = symbol_rules(entry(PRICE, LOT, NOTIONAL), MarketKind.SPOT)
    assert rules.violations(Decimal("2"), Decimal("6")) == []
    assert rules.violations(Decimal("1.0005"), Decimal("0.0000015")) == [
        "PRICE_FILTER: price 0.0000015 is not a multiple of tick 0.000001",
        "LOT_SIZE: quantity 1.0005 is not a multiple of step 0.001",
        "NOTIONAL: 0.00000150075 below minimum 10",
    ]


def test_legacy_min_notional_and_zero_maxima() -> None:
    legacy = {
        "filterType": "MIN_NOTIONAL",
        "minNotional": "0.001",
        "applyToMarket": True,
        "avgPriceMins": 5,
    }
    open_price = PRICE | {"maxPrice": "0.00000000"}
    rules = symbol_rules(entry(open_price, LOT, legacy), MarketKind.SPOT)
    assert (rules.min_notional, rules.max_notional, rules.max_price) == (
        Decimal("0.001"),
        None,
        None,
    )


def test_futures_min_notional_uses_notional() -> None:
    futures = entry(
        PRICE | {"tickSize": "0.10"},
        LOT,
        {"filterType": "MIN_NOTIONAL", "notional": "5"},
        {
            "filterType": "PERCENT_PRICE",
            "multiplierUp": "1.0500",
            "multiplierDown": "0.9500",
            "multiplierDecimal": "4",
        },
        symbol="BTCUSDT",
    )
    rules = symbol_rules(futures, MarketKind.FUTURES)
    assert (rules.tick_size, rules.min_notional) == (Decimal("0.1"), Decimal(5))


def test_exchange_info_keeps_only_the_symbols_asked_for_with_status() -> None:
    info = {
        "symbols": [
            entry(PRICE, LOT, symbol="BTCUSDT"),
            entry(PRICE, LOT, symbol="ETHUSDT") | {"status": "BREAK"},
            {"symbol": "BADUSDT", "filters": "garbage"},
        ]
    }
    rules, status = rules_from_exchange_info(info, MarketKind.SPOT, {"BTCUSDT", "ETHUSDT"})
    assert sorted(rules) == ["BTCUSDT", "ETHUSDT"]
    assert status == {"BTCUSDT": "TRADING", "ETHUSDT": "BREAK"}


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({"symbols": None}, "without a symbols list"),
        ({"symbols": ["x"]}, "not an object"),
        ({"symbols": [entry(LOT)]}, "BNBBTC: PRICE_FILTER.tickSize missing or zero"),
        ({"symbols": [entry(PRICE | {"tickSize": "0"}, LOT)]}, "tickSize missing or zero"),
        ({"symbols": [entry(PRICE, LOT | {"stepSize": "abc"})]}, "stepSize='abc'"),
        ({"symbols": [entry(PRICE, LOT | {"minQty": "-1"})]}, "minQty='-1'"),
        ({"symbols": [{"symbol": "X", "filters": "garbage"}]}, "without symbol or filters"),
    ],
)
def test_malformed_exchange_info_raises_parse_error(info: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        rules_from_exchange_info(info, MarketKind.SPOT)


def _order(kind: OrderType, qty: str, price: str | None) -> Order:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return Order(
        "c",
        "i",
        "BNBBTC",
        Side.BUY,
        kind,
        Decimal(qty),
        Decimal(price) if price else None,
        OrderStatus.NEW,
        t0,
        t0,
    )


def test_order_refusal_names_the_reason() -> None:
    rules = symbol_rules(entry(PRICE, LOT, NOTIONAL), MarketKind.SPOT)
    limit = _order(OrderType.LIMIT, "2", "6")
    assert order_refusal(limit, rules, "TRADING", None) == ""
    assert order_refusal(limit, None, "", None) == "no exchange rules for BNBBTC"
    assert order_refusal(limit, rules, "BREAK", None) == "BNBBTC is BREAK on Binance"
    assert order_refusal(_order(OrderType.LIMIT, "2", None), rules, "TRADING", None) == (
        "LIMIT order without a price"
    )
    market = _order(OrderType.MARKET, "2", None)
    # no price of its own: the tick never applies; notional only with a reference price
    assert order_refusal(market, rules, "TRADING", None) == ""
    assert order_refusal(market, rules, "TRADING", Decimal("4.0000005")) == (
        "NOTIONAL: 8.0000010 below minimum 10"
    )
    assert order_refusal(_order(OrderType.MARKET, "0.0005", None), rules, "TRADING", None) == (
        "LOT_SIZE: quantity 0.0005 outside [0.001, 100000]"
    )
