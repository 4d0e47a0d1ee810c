"""Upbit's order replies read into our orders and fills: states, a market buy by amount
that ends `cancel` once spent, fees shared by value, and replies that do not read."""

from decimal import Decimal
from typing import Any

import pytest

from tui_trader.domain.enums import OrderStatus, Side
from tui_trader.upbit.parse_orders import ParseError, parse_balances, parse_order


def reply(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "uuid": "u-1", "side": "bid", "ord_type": "limit", "price": "89000000.0",
        "state": "wait", "market": "KRW-BTC", "created_at": "2026-12-02T22:00:00+09:00",
        "volume": "0.002", "executed_volume": "0", "paid_fee": "0", "identifier": "tt-1",
    }  # fmt: skip
    return row | changes


def trade(tid: str, volume: str, price: str = "89000000") -> dict[str, str]:
    at, funds = "2026-12-02T22:00:05+09:00", str(Decimal(price) * Decimal(volume))
    return {"uuid": tid, "price": price, "volume": volume, "created_at": at, "funds": funds}


@pytest.mark.parametrize(
    ("state", "executed", "kind", "status"),
    [
        ("wait", "0", "limit", OrderStatus.NEW),
        ("wait", "0.001", "limit", OrderStatus.PARTIALLY_FILLED),
        ("watch", "0", "limit", OrderStatus.NEW),
        ("done", "0.002", "limit", OrderStatus.FILLED),
        ("cancel", "0.001", "limit", OrderStatus.CANCELED),
        ("cancel", "0", "limit", OrderStatus.CANCELED),
        ("cancel", "0.001", "price", OrderStatus.FILLED),
        ("cancel", "0", "price", OrderStatus.CANCELED),
    ],
)
def test_upbit_states_map_to_ours(
    state: str, executed: str, kind: str, status: OrderStatus
) -> None:
    assert parse_order(reply(state=state, executed_volume=executed, ord_type=kind)).status is status


def test_a_spent_market_buy_is_filled_with_the_volume_it_bought() -> None:
    raw = reply(ord_type="price", price="90000", volume=None, state="cancel",
                executed_volume="0.001", trades=[trade("t-1", "0.001", "90000000")])  # fmt: skip
    parsed = parse_order(raw)
    order = parsed.to_order(None)
    assert (order.price, order.quantity, order.filled_quantity) == (
        None,
        Decimal("0.001"),
        Decimal("0.001"),
    )
    assert order.average_price == Decimal(90_000_000) and order.side is Side.BUY
    assert order.created_at.utcoffset() is not None and order.created_at.hour == 13  # UTC


def test_fees_are_shared_by_value_and_add_up_to_what_upbit_charged() -> None:
    raw = reply(state="done", executed_volume="0.002", paid_fee="89.000000001",
                trades=[trade("t-1", "0.0005"), trade("t-2", "0.0015")])  # fmt: skip
    parsed = parse_order(raw)
    fills = parsed.fills(parsed.trades or ())
    assert [f.fee for f in fills] == [Decimal("22.25000000"), Decimal("66.750000001")]
    assert sum(f.fee for f in fills) == Decimal("89.000000001")
    assert {f.fee_asset for f in fills} == {"KRW"} and [f.trade_id for f in fills] == ["t-1", "t-2"]


def test_a_trade_s_fee_does_not_depend_on_when_it_is_first_seen() -> None:
    """Seen one by one (the second after a restart) or together: the same fees."""
    first = parse_order(
        reply(executed_volume="0.0005", paid_fee="22.25", trades=[trade("t-1", "0.0005")])
    )
    both = parse_order(reply(state="done", executed_volume="0.002", paid_fee="89",
                             trades=[trade("t-1", "0.0005"), trade("t-2", "0.0015")]))  # fmt: skip
    one_by_one = first.fills(first.trades or ()) + both.fills(
        [t for t in both.trades or () if t.trade_id == "t-2"]
    )
    together = both.fills(both.trades or ())
    assert [f.fee for f in one_by_one] == [f.fee for f in together]
    assert sum(f.fee for f in one_by_one) == Decimal(89)


@pytest.mark.parametrize(
    "raw",
    [
        reply(state="exploded"),
        reply(market="BTC"),
        reply(side="sideways"),
        reply(created_at="noon"),
        reply(created_at="2026-12-02T22:00:00"),
        reply(executed_volume="-1"),
        reply(price="NaN"),
        {"error": {"name": "x"}},
        "not an order",
        reply(trades=[{"uuid": "t"}]),
    ],
)
def test_a_reply_that_does_not_read_is_an_error_not_a_guess(raw: Any) -> None:
    with pytest.raises(ParseError):
        parse_order(raw)


def test_balances_are_exact_decimals() -> None:
    rows = [{"currency": "KRW", "balance": "1000000.12345", "locked": "5000"}]
    assert parse_balances(rows)["KRW"].total == Decimal("1005000.12345")
    with pytest.raises(ParseError):
        parse_balances([{"currency": "KRW"}])


@pytest.mark.parametrize("hostile", ["1e999999", "1e-999999", "NaN", "-0.5", "9" * 200])
def test_a_number_no_market_quotes_is_refused_where_it_enters(hostile: str) -> None:
    # Before numbers.optional_amount, 1e999999 went in as a valid Decimal and blew up
    # later, in arithmetic far from the reply that carried it.
    with pytest.raises(ParseError):
        parse_order(reply(price=hostile))


def test_an_empty_optional_number_reads_as_absent() -> None:
    raw = reply(ord_type="price", price="90000", volume="", state="cancel",
                executed_volume="0.001", trades=[trade("t-1", "0.001", "90000000")])  # fmt: skip
    assert parse_order(raw).to_order(None).status is OrderStatus.FILLED
