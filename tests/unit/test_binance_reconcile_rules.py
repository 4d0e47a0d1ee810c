"""Reconciliation's comparisons, trade history rows, and the tracker's memory of what
the journal already holds."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_trades import parse_order_trades
from tui_trader.binance.tracker import OrderTracker
from tui_trader.domain.enums import OrderStatus, OrderType, Severity, Side
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.execution.reconcile import (
    Difference,
    Reconciliation,
    compare_balances,
    compare_positions,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_less_on_the_exchange_blocks_more_is_only_recorded() -> None:
    believed = {
        "USDT": Balance("USDT", Decimal(1000)),
        "BTC": Balance("BTC", Decimal("0.5")),
        "ETH": Balance("ETH", Decimal(2)),
    }
    actual = {
        "USDT": Balance("USDT", Decimal("999.995")),  # within tolerance
        "BTC": Balance("BTC", Decimal("0.4"), Decimal("0.05")),  # total 0.45 < 0.5
        "BNB": Balance("BNB", Decimal(3)),  # not the trader's business
    }
    btc, eth = compare_balances(believed, actual, Decimal("0.01"))
    assert btc.blocking and btc.message == (
        "BTC: exchange holds 0.45, the trader believes 0.5 (-0.05)"
    )
    assert eth.blocking and eth.message == "ETH: exchange holds 0, the trader believes 2 (-2)"
    richer = compare_balances({"USDT": Balance("USDT", Decimal(1))}, actual, Decimal(0))
    assert [(d.blocking, d.severity) for d in richer] == [(False, Severity.CRITICAL)]


def test_any_futures_position_difference_blocks() -> None:
    believed = {"BTCUSDT": Position("BTCUSDT", Decimal("0.01"), Decimal(50000))}
    actual = {
        "BTCUSDT": Position("BTCUSDT", Decimal("0.01"), Decimal(49000)),  # entry may differ
        "ETHUSDT": Position("ETHUSDT", Decimal("-1"), Decimal(3000)),
    }
    [eth] = compare_positions(believed, actual)
    assert eth.blocking and eth.message == ("ETHUSDT: exchange position -1, the trader believes 0")
    assert compare_positions(actual, actual) == []


def test_reconciliation_events_and_block() -> None:
    result = Reconciliation(
        (
            Difference(Severity.INFO, "adopted", "c-1", "BTCUSDT"),
            Difference(Severity.CRITICAL, "short", blocking=True),
        )
    )
    assert result.block_entries
    first, second = result.events(T0)
    assert (first.kind, first.symbol, first.data) == (
        "reconciliation",
        "BTCUSDT",
        {"client_order_id": "c-1", "blocking": False},
    )
    assert second.data["blocking"] and second.severity is Severity.CRITICAL
    assert not Reconciliation(()).block_entries


SPOT_ROW = {
    "symbol": "BTCUSDT",
    "id": 28457,
    "orderId": 100234,
    "orderListId": -1,
    "price": "4.00000100",
    "qty": "12.00000000",
    "quoteQty": "48.000012",
    "commission": "10.10000000",
    "commissionAsset": "BNB",
    "time": 1499865549590,
    "isBuyer": True,
    "isMaker": False,
    "isBestMatch": True,
}
FUTURES_ROW = {
    "buyer": False,
    "commission": "0.07819010",
    "commissionAsset": "USDT",
    "id": 698759,
    "maker": True,
    "orderId": 25851813,
    "price": "7819.01",
    "qty": "0.002",
    "quoteQty": "15.63802",
    "realizedPnl": "-0.91539999",
    "side": "SELL",
    "positionSide": "BOTH",
    "symbol": "BTCUSDT",
    "time": 1569514978020,
}


def test_trade_rows_of_both_markets_become_fills_of_that_order() -> None:
    other = SPOT_ROW | {"id": 28458, "orderId": 999}
    [spot] = parse_order_trades([SPOT_ROW, other], "c-1", "100234")
    assert spot == Fill(
        "c-1",
        "BTCUSDT",
        Side.BUY,
        Decimal(12),
        Decimal("4.000001"),
        Decimal("10.1"),
        "BNB",
        datetime(2017, 7, 12, 13, 19, 9, 590000, tzinfo=UTC),
        "28457",
        False,
    )
    [futures] = parse_order_trades([FUTURES_ROW], "c-2", "25851813")
    assert (futures.side, futures.quantity, futures.is_maker, futures.trade_id) == (
        Side.SELL,
        Decimal("0.002"),
        True,
        "698759",
    )


@pytest.mark.parametrize(
    "rows",
    [
        {"not": "a list"},
        [SPOT_ROW | {"qty": 12.0}],  # a float would lose precision
        [SPOT_ROW | {"isBuyer": "yes"}],
        [{k: v for k, v in SPOT_ROW.items() if k != "commission"}],
    ],
)
def test_malformed_trade_history_is_refused(rows: object) -> None:
    with pytest.raises(ParseError):
        parse_order_trades(rows, "c-1", "100234")


def test_tracker_remembers_the_journal_and_reports_fill_gaps() -> None:
    known = Order(
        "c-1",
        "intent-1",
        "BTCUSDT",
        Side.BUY,
        OrderType.LIMIT,
        Decimal(2),
        Decimal(100),
        OrderStatus.PARTIALLY_FILLED,
        T0,
        T0,
        filled_quantity=Decimal(1),
    )
    tracker = OrderTracker()
    tracker.remember([known], {("BTCUSDT", "7")})
    assert tracker.get("c-1") == known and tracker.fill_gaps() == []

    booked = Fill("c-1", "BTCUSDT", Side.BUY, Decimal(1), Decimal(100), Decimal(0), "BTC", T0, "7")
    missed = Fill("c-1", "BTCUSDT", Side.BUY, Decimal(1), Decimal(99), Decimal(0), "BTC", T0, "8")
    tracker.add(known.evolve(status=OrderStatus.FILLED, filled_quantity=Decimal(2)))
    assert [o.client_order_id for o in tracker.fill_gaps()] == ["c-1"]
    assert tracker.new_fills([booked, missed, missed]) == [missed]
    assert tracker.fill_gaps() == []
    newer = known.evolve(status=OrderStatus.CANCELED)
    tracker.remember([newer], set())  # never overwrites a newer state
    assert tracker.get("c-1").status is OrderStatus.FILLED  # type: ignore[union-attr]
