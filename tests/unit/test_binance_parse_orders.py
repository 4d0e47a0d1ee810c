"""Order, fill and account payloads → domain, with Binance's documented payloads."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_account import (
    parse_account_balances,
    parse_account_position,
    parse_account_update,
)
from tui_trader.binance.parse_orders import (
    parse_execution_report,
    parse_order_trade_update,
    parse_rest_order,
)
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance
from tui_trader.journal.codec import order_row, row_order


def execution_report(**changes: Any) -> dict[str, Any]:
    event = {
        "e": "executionReport",
        "E": 1499405658658,
        "s": "ETHBTC",
        "c": "mUvoqJxFIILMdfAW5iGSOW",
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "1.00000000",
        "p": "0.10264410",
        "P": "0.00000000",
        "F": "0.00000000",
        "g": -1,
        "C": "",
        "x": "NEW",
        "X": "NEW",
        "r": "NONE",
        "i": 4293153,
        "l": "0.00000000",
        "z": "0.00000000",
        "L": "0.00000000",
        "n": "0",
        "N": None,
        "T": 1499405658657,
        "t": -1,
        "I": 8641984,
        "w": True,
        "m": False,
        "M": False,
        "O": 1499405658657,
        "Z": "0.00000000",
        "Y": "0.00000000",
        "Q": "0.00000000",
        "W": 1499405658657,
        "V": "NONE",
    }
    return event | changes


def test_execution_report_new_order() -> None:
    report = parse_execution_report(execution_report())
    assert (report.client_order_id, report.exchange_order_id, report.symbol) == (
        "mUvoqJxFIILMdfAW5iGSOW",
        "4293153",
        "ETHBTC",
    )
    assert (report.side, report.order_type, report.status) == (
        Side.BUY,
        OrderType.LIMIT,
        OrderStatus.NEW,
    )
    assert (report.quantity, report.price, report.filled_quantity) == (
        Decimal("1"),
        Decimal("0.1026441"),
        Decimal("0"),
    )
    assert report.ts == datetime(2017, 7, 7, 5, 34, 18, 657000, tzinfo=UTC)
    assert report.fills == () and report.reason == ""


def test_execution_report_trade_carries_the_fill_and_average_price() -> None:
    report = parse_execution_report(
        execution_report(
            x="TRADE",
            X="PARTIALLY_FILLED",
            l="0.4",
            L="0.1",
            n="0.0004",
            N="ETH",
            t=77,
            m=True,
            z="0.6",
            Z="0.0610",
        )
    )
    assert report.status is OrderStatus.PARTIALLY_FILLED
    assert report.average_price == Decimal("0.0610") / Decimal("0.6")
    assert report.fills == (
        Fill(
            "mUvoqJxFIILMdfAW5iGSOW",
            "ETHBTC",
            Side.BUY,
            Decimal("0.4"),
            Decimal("0.1"),
            Decimal("0.0004"),
            "ETH",
            report.ts,
            "77",
            is_maker=True,
        ),
    )


def test_cancel_report_is_keyed_by_the_original_client_id() -> None:
    report = parse_execution_report(
        execution_report(c="cancel-123", C="mine-1", x="CANCELED", X="CANCELED")
    )
    assert report.client_order_id == "mine-1" and report.status is OrderStatus.CANCELED


def test_expired_report_keeps_the_expiry_reason() -> None:
    report = parse_execution_report(execution_report(X="EXPIRED", x="EXPIRED", eR="STP"))
    assert report.status is OrderStatus.EXPIRED and report.reason == "STP"


def test_report_applied_to_our_order_keeps_intent_and_purpose() -> None:
    ts = datetime(2017, 7, 7, tzinfo=UTC)
    ours = Order(
        "mUvoqJxFIILMdfAW5iGSOW",
        "intent-9",
        "ETHBTC",
        Side.BUY,
        OrderType.LIMIT,
        Decimal(1),
        Decimal("0.1026441"),
        OrderStatus.NEW,
        ts,
        ts,
        purpose=IntentPurpose.TAKE_PROFIT,
    )
    updated = parse_execution_report(execution_report(X="FILLED", z="1", Z="0.1")).to_order(ours)
    assert (updated.intent_id, updated.purpose, updated.created_at) == (
        "intent-9",
        IntentPurpose.TAKE_PROFIT,
        ts,
    )
    assert (updated.status, updated.filled_quantity, updated.average_price) == (
        OrderStatus.FILLED,
        Decimal(1),
        Decimal("0.1"),
    )
    assert updated.exchange_order_id == "4293153"
    stranger = parse_execution_report(execution_report()).to_order(None)
    assert stranger.intent_id == "" and stranger.created_at == stranger.updated_at


def test_rest_full_reply() -> None:
    reply = {
        "symbol": "BTCUSDT",
        "orderId": 28,
        "orderListId": -1,
        "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
        "transactTime": 1507725176595,
        "price": "0.00000000",
        "origQty": "10.00000000",
        "executedQty": "10.00000000",
        "origQuoteOrderQty": "0.000000",
        "cummulativeQuoteQty": "40000.00000000",
        "status": "FILLED",
        "timeInForce": "GTC",
        "type": "MARKET",
        "side": "SELL",
        "workingTime": 1507725176595,
        "selfTradePreventionMode": "NONE",
        "fills": [
            {
                "price": "4000.00000000",
                "qty": "10.00000000",
                "commission": "4.00000000",
                "commissionAsset": "USDT",
                "tradeId": 56,
            }
        ],
    }
    report = parse_rest_order(reply)
    assert (report.status, report.price, report.average_price) == (
        OrderStatus.FILLED,
        None,
        Decimal(4000),
    )
    [fill] = report.fills
    assert (fill.quantity, fill.price, fill.fee, fill.fee_asset, fill.trade_id) == (
        Decimal(10),
        Decimal(4000),
        Decimal(4),
        "USDT",
        "56",
    )


def test_rest_cancel_reply_is_keyed_by_orig_client_order_id() -> None:
    reply = {
        "symbol": "BTCUSDT",
        "origClientOrderId": "mine-2",
        "orderId": 4,
        "orderListId": -1,
        "clientOrderId": "cancelMyOrder1",
        "transactTime": 1684804350068,
        "price": "2.00000000",
        "origQty": "1.00000000",
        "executedQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
    }
    report = parse_rest_order(reply)
    assert report.client_order_id == "mine-2" and report.status is OrderStatus.CANCELED


def test_futures_order_trade_update() -> None:
    event: dict[str, Any] = {
        "e": "ORDER_TRADE_UPDATE",
        "T": 1779367929401,
        "E": 1779367929402,
        "o": {
            "s": "SOLUSDT",
            "c": "bot-e05",
            "S": "BUY",
            "o": "LIMIT",
            "f": "GTC",
            "q": "21.26",
            "p": "85.67",
            "ap": "0",
            "sp": "0",
            "x": "NEW",
            "X": "NEW",
            "i": 215456450616,
            "l": "0",
            "z": "0",
            "L": "0",
            "n": "0",
            "N": "USDT",
            "T": 1779367929401,
            "t": 0,
            "b": "2520.672",
            "a": "0",
            "m": False,
            "R": True,
            "wt": "CONTRACT_PRICE",
            "ot": "LIMIT",
            "ps": "SHORT",
            "cp": False,
            "rp": "0",
            "pP": False,
            "si": 0,
            "ss": 0,
            "V": "EXPIRE_MAKER",
            "pm": "NONE",
            "gtd": 0,
            "er": "0",
        },
    }
    report = parse_order_trade_update(event)
    assert (report.client_order_id, report.exchange_order_id, report.quantity, report.price) == (
        "bot-e05",
        "215456450616",
        Decimal("21.26"),
        Decimal("85.67"),
    )
    traded = parse_order_trade_update(
        event
        | {
            "o": event["o"]
            | {
                "x": "TRADE",
                "X": "FILLED",
                "l": "21.26",
                "L": "85.6",
                "z": "21.26",
                "ap": "85.6",
                "n": "0.91",
                "t": 9,
            }
        }
    )
    assert traded.average_price == Decimal("85.6")
    assert [(f.quantity, f.fee, f.trade_id) for f in traded.fills] == [
        (Decimal("21.26"), Decimal("0.91"), "9")
    ]


def test_account_payloads() -> None:
    position_event = {
        "e": "outboundAccountPosition",
        "E": 1564034571105,
        "u": 1564034571073,
        "B": [{"a": "ETH", "f": "10000.000000", "l": "0.000000"}],
    }
    assert parse_account_position(position_event) == {"ETH": Balance("ETH", Decimal(10000))}
    account = {
        "balances": [
            {"asset": "BTC", "free": "0.5", "locked": "0.1"},
            {"asset": "LTC", "free": "0.00000000", "locked": "0.00000000"},
        ]
    }
    assert parse_account_balances(account) == {
        "BTC": Balance("BTC", Decimal("0.5"), Decimal("0.1"))
    }
    update = {
        "e": "ACCOUNT_UPDATE",
        "E": 1564745798939,
        "T": 1564745798938,
        "a": {
            "m": "ORDER",
            "B": [
                {"a": "USDT", "wb": "122624.12345678", "cw": "100.12345678", "bc": "50.12345678"}
            ],
            "P": [
                {
                    "s": "BTCUSDT",
                    "pa": "0",
                    "ep": "0.00000",
                    "bep": "0",
                    "cr": "200",
                    "up": "0",
                    "mt": "isolated",
                    "iw": "0.00000000",
                    "ps": "BOTH",
                },
                {"s": "ETHUSDT", "pa": "-2", "ep": "3000", "up": "-20", "ps": "BOTH"},
            ],
        },
    }
    balances, positions = parse_account_update(update)
    assert balances == {"USDT": Balance("USDT", Decimal("122624.12345678"))}
    assert positions[0].quantity == 0 and positions[0].mark_price == 0
    assert (positions[1].quantity, positions[1].mark_price) == (Decimal(-2), Decimal(3010))
    assert positions[1].unrealized_pnl == Decimal(-20)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (execution_report(o="STOP\x1b[31m"), "unsupported order type 'STOP"),
        (execution_report(o=7), "unsupported order type 7"),
        (execution_report(o="STOP\n"), "unsupported order type 'STOP"),
        (execution_report(X="PENDING_CANCEL"), "unsupported order status"),
        (execution_report(S="HOLD"), "executionReport"),
        (execution_report(q=1.0), "executionReport"),
        ({"e": "executionReport", "s": "BTCUSDT"}, "executionReport"),
    ],
)
def test_malformed_order_events_raise_parse_error(event: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_execution_report(event)


def test_other_malformed_payloads_raise_parse_error() -> None:
    with pytest.raises(ParseError, match="order reply"):
        parse_rest_order({"symbol": "BTCUSDT"})
    with pytest.raises(ParseError, match="ORDER_TRADE_UPDATE"):
        parse_order_trade_update({"e": "ORDER_TRADE_UPDATE", "o": {}})
    with pytest.raises(ParseError, match="account reply"):
        parse_account_balances({"balances": [{"asset": "BTC", "free": None, "locked": "0"}]})
    with pytest.raises(ParseError, match="ACCOUNT_UPDATE"):
        parse_account_update({"a": {"B": [], "P": [{"s": "X", "pa": "1"}]}})


# --- orders the trader did not place (Binance's documented examples) ----------------


def futures_event(**order: Any) -> dict[str, Any]:
    """ORDER_TRADE_UPDATE as Binance documents it (a trailing stop placed elsewhere)."""
    o = {
        "s": "BTCUSDT", "c": "TEST", "S": "SELL", "o": "TRAILING_STOP_MARKET", "f": "GTC",
        "q": "0.001", "p": "0", "ap": "0", "sp": "7103.04", "x": "NEW", "X": "NEW",
        "i": 8886774, "l": "0", "z": "0", "L": "0", "N": "USDT", "n": "0",
        "T": 1568879465650, "t": 0, "b": "0", "a": "9.91", "m": False, "R": False,
        "wt": "CONTRACT_PRICE", "ot": "TRAILING_STOP_MARKET", "ps": "BOTH", "cp": False,
        "AP": "7476.89", "cr": "5.0", "pP": False, "si": 0, "ss": 0, "rp": "0",
        "V": "EXPIRE_TAKER", "pm": "OPPONENT", "gtd": 0,
    }  # fmt: skip
    return {"e": "ORDER_TRADE_UPDATE", "E": 1568879465651, "T": 1568879465650, "o": o | order}


def futures_open_order(**changes: Any) -> dict[str, Any]:
    """A GET /fapi/v1/openOrders row as Binance documents it."""
    row = {
        "avgPrice": "0.00000", "clientOrderId": "abc", "cumQuote": "0", "executedQty": "0",
        "orderId": 1917641, "origQty": "0.40", "origType": "TRAILING_STOP_MARKET",
        "price": "0", "reduceOnly": False, "side": "BUY", "positionSide": "BOTH",
        "status": "NEW", "stopPrice": "9300", "closePosition": False, "symbol": "BTCUSDT",
        "time": 1579276756075, "timeInForce": "GTC", "type": "TRAILING_STOP_MARKET",
        "activatePrice": "9020", "priceRate": "0.3", "updateTime": 1579276756075,
        "workingType": "CONTRACT_PRICE", "priceProtect": False, "priceMatch": "NONE",
        "selfTradePreventionMode": "NONE", "goodTillDate": 0,
    }  # fmt: skip
    return row | changes


@pytest.mark.parametrize(
    ("kind", "price", "nearest"),
    [
        ("TRAILING_STOP_MARKET", "0", OrderType.MARKET),
        ("STOP_MARKET", "0", OrderType.MARKET),
        ("TAKE_PROFIT_MARKET", "0", OrderType.MARKET),
        ("STOP", "9350", OrderType.LIMIT),
        ("TAKE_PROFIT", "9250", OrderType.LIMIT),
        ("LIQUIDATION", "9100", OrderType.LIMIT),
    ],
)
def test_futures_foreign_types_keep_the_venue_type(
    kind: str, price: str, nearest: OrderType
) -> None:
    event = parse_order_trade_update(futures_event(o=kind, p=price))
    row = parse_rest_order(futures_open_order(type=kind, origType=kind, price=price))
    for report in (event, row):
        order = report.to_order(None)
        assert (order.order_type, order.venue_type, order.type_label) == (nearest, kind, kind)
        assert order.is_foreign and order.status is OrderStatus.NEW


def test_spot_foreign_types_and_oco_legs_keep_the_venue_type() -> None:
    stop_leg = parse_execution_report(
        execution_report(o="STOP_LOSS_LIMIT", p="0.0990", P="0.1000", g=2)
    )
    maker_leg = parse_execution_report(execution_report(o="LIMIT_MAKER", p="0.1100", g=2))
    stop_market = parse_execution_report(execution_report(o="STOP_LOSS", p="0.00000000"))
    assert [(r.order_type, r.venue_type) for r in (stop_leg, maker_leg, stop_market)] == [
        (OrderType.LIMIT, "STOP_LOSS_LIMIT"),
        (OrderType.LIMIT, "LIMIT_MAKER"),
        (OrderType.MARKET, "STOP_LOSS"),
    ]
    ours = parse_execution_report(execution_report()).to_order(None)
    assert (ours.venue_type, ours.type_label) == ("", "LIMIT")


def test_liquidation_execution_carries_its_fill_and_fee() -> None:
    event = futures_event(
        c="autoclose-1596107620040000020", o="LIQUIDATION", f="IOC", p="9910", q="0.01",
        x="CALCULATED", X="FILLED", l="0.01", L="9910", z="0.01", ap="9910", n="0.4955",
        t=77, ot="LIQUIDATION",
    )  # fmt: skip
    report = parse_order_trade_update(event)
    assert report.liquidation and report.status is OrderStatus.FILLED
    [fill] = report.fills
    assert (fill.side, fill.quantity, fill.price, fill.fee, fill.fee_asset, fill.trade_id) == (
        Side.SELL,
        Decimal("0.01"),
        Decimal(9910),
        Decimal("0.4955"),
        "USDT",
        "77",
    )
    assert not parse_order_trade_update(futures_event()).liquidation
    # Liquidation statuses of older documentation: read, and final once executed in full.
    adl = parse_order_trade_update(event | {"o": event["o"] | {"X": "NEW_ADL"}})
    assert adl.status is OrderStatus.FILLED and len(adl.fills) == 1
    insurance = {"X": "NEW_INSURANCE", "z": "0.004", "l": "0.004"}
    partial = parse_order_trade_update(event | {"o": event["o"] | insurance})
    assert partial.status is OrderStatus.NEW and partial.filled_quantity == Decimal("0.004")


def test_adl_orders_get_a_client_id_of_their_own() -> None:
    """Binance names every ADL order "adl_autoclose": keyed by it, a second would be
    taken for the first."""
    first = parse_order_trade_update(futures_event(c="adl_autoclose", i=1, x="CALCULATED"))
    second = parse_order_trade_update(futures_event(c="adl_autoclose", i=2, x="CALCULATED"))
    assert (first.client_order_id, second.client_order_id) == ("adl_autoclose-1", "adl_autoclose-2")
    assert first.fills[0].client_order_id == "adl_autoclose-1"


@pytest.mark.parametrize(
    "missing",
    [("avgPrice", "cumQuote"), ("avgPrice", "cumQuote", "executedQty"), ("avgPrice",)],
)
def test_futures_replies_without_optional_fields_parse(missing: tuple[str, ...]) -> None:
    """The current POST /fapi/v1/order reply has no avgPrice or cumQuote; an unfilled
    order's reply may leave out executedQty as well."""
    placed = futures_open_order(type="LIMIT", origType="LIMIT", price="9000", cumQty="0")
    for key in missing:
        del placed[key]
    report = parse_rest_order(placed)
    assert (report.status, report.filled_quantity, report.average_price) == (
        OrderStatus.NEW,
        Decimal(0),
        Decimal(0),
    )
    cancelled = parse_rest_order(placed | {"status": "CANCELED"})
    assert cancelled.status is OrderStatus.CANCELED


def test_spot_cancel_reply_without_quote_quantity_parses() -> None:
    reply = {
        "symbol": "BTCUSDT", "origClientOrderId": "mine-3", "orderId": 5, "orderListId": -1,
        "clientOrderId": "cancel5", "transactTime": 1684804350068, "price": "2.00000000",
        "origQty": "1.00000000", "status": "CANCELED", "timeInForce": "GTC",
        "type": "LIMIT", "side": "BUY",
    }  # fmt: skip
    report = parse_rest_order(reply)
    assert (report.client_order_id, report.filled_quantity, report.average_price) == (
        "mine-3",
        Decimal(0),
        Decimal(0),
    )


def test_foreign_order_journal_row_keeps_its_venue_type() -> None:
    order = parse_rest_order(futures_open_order(type="STOP", price="9350")).to_order(None)
    row = order_row(order)
    assert row["order_type"] == "STOP" and row["intent_id"] == ""
    back = row_order(row)
    assert back == order and back.is_foreign
