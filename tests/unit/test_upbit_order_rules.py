"""Upbit's order rules before sending: the KRW price unit of each band (the larger of the
table's and the pair's stated unit), the 5,000 KRW minimum, volume steps, and the order
as Upbit's parameters (buy by amount, sell by volume, limit)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.orders import Order
from tui_trader.upbit.order_rules import RefusedLocally, krw_unit, order_params, price_unit
from tui_trader.upbit.rules import upbit_rules

RULES = upbit_rules("BTCKRW", "KRW", Decimal(1000))
T = datetime(2026, 12, 2, tzinfo=UTC)


def order(side: Side, kind: OrderType, qty: str, price: str | None = None) -> Order:
    return Order("tt-1", "i-1", "BTCKRW", side, kind, Decimal(qty),
                 Decimal(price) if price else None, OrderStatus.NEW, T, T)  # fmt: skip


@pytest.mark.parametrize(
    ("price", "unit"),
    [
        ("3000000", "1000"),
        ("1000000", "1000"),
        ("999999", "500"),
        ("500000", "500"),
        ("120000", "100"),
        ("60000", "50"),
        ("20000", "10"),
        ("7000", "5"),
        ("1500", "1"),
        ("150", "1"),
        ("50", "0.01"),
        ("5", "0.001"),
        ("0.5", "0.0001"),
        ("0.00005", "0.00000001"),
    ],
)
def test_the_krw_unit_depends_on_the_price(price: str, unit: str) -> None:
    assert krw_unit(Decimal(price)) == Decimal(unit)


def test_the_pairs_own_unit_counts_where_it_is_coarser() -> None:
    usdt = upbit_rules("USDTKRW", "KRW", Decimal("0.5"))
    assert price_unit(Decimal(1400), usdt, "KRW") == Decimal(1)  # the table's is coarser
    assert price_unit(Decimal(60), usdt, "KRW") == Decimal("0.5")  # the pair's is


def test_a_market_buy_spends_whole_won() -> None:
    params = order_params(order(Side.BUY, OrderType.MARKET, "0.00123457"), RULES, "KRW",
                          Decimal(90_000_000))  # fmt: skip
    assert params == {"market": "KRW-BTC", "side": "bid", "ord_type": "price",
                      "price": "111111", "identifier": "tt-1"}  # fmt: skip


def test_a_market_sell_and_a_limit_order() -> None:
    sell = order_params(order(Side.SELL, OrderType.MARKET, "0.5"), RULES, "KRW", None)
    assert sell == {"market": "KRW-BTC", "side": "ask", "ord_type": "market",
                    "volume": "0.5", "identifier": "tt-1"}  # fmt: skip
    limit = order_params(order(Side.BUY, OrderType.LIMIT, "0.001", "89000000"), RULES, "KRW", None)
    assert (limit["ord_type"], limit["price"], limit["volume"]) == ("limit", "89000000", "0.001")


@pytest.mark.parametrize(
    ("made", "last", "why"),
    [
        (
            order(Side.BUY, OrderType.LIMIT, "0.001", "89000500"),
            None,
            "not a multiple of Upbit's unit 1000",
        ),
        (
            order(Side.BUY, OrderType.LIMIT, "0.00005", "89000000"),
            None,
            "below Upbit's minimum 5000",
        ),
        (order(Side.BUY, OrderType.LIMIT, "20", "89000000"), None, "above Upbit's maximum"),
        (order(Side.SELL, OrderType.LIMIT, "0.000000015", "89000000"), None, "positive steps of"),
        (order(Side.BUY, OrderType.MARKET, "0.001"), None, "no last price yet"),
        (
            order(Side.SELL, OrderType.MARKET, "0.00001"),
            Decimal(90_000_000),
            "below Upbit's minimum",
        ),
        (order(Side.BUY, OrderType.LIMIT, "0.001"), None, "needs a price"),
    ],
)
def test_what_upbit_would_refuse_is_refused_here(
    made: Order, last: Decimal | None, why: str
) -> None:
    with pytest.raises(RefusedLocally, match=why):
        order_params(made, RULES, "KRW", last)
