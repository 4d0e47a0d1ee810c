"""OrderTracker: reports from REST and the user stream, duplicated and out of order."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.binance.parse_orders import OrderReport
from tui_trader.binance.tracker import OrderTracker
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.orders import Fill, Order

T0 = datetime(2026, 1, 1, tzinfo=UTC)
OURS = Order(
    "c-1",
    "intent-1",
    "BTCUSDT",
    Side.BUY,
    OrderType.LIMIT,
    Decimal(2),
    Decimal(100),
    OrderStatus.NEW,
    T0,
    T0,
)


def report(status: OrderStatus, filled: str, *trades: str, second: int = 1) -> OrderReport:
    ts = T0 + timedelta(seconds=second)
    fills = tuple(
        Fill(
            "c-1", "BTCUSDT", Side.BUY, Decimal(1), Decimal(100), Decimal("0.001"), "BTC", ts, trade
        )
        for trade in trades
    )
    return OrderReport(
        "c-1",
        "42",
        "BTCUSDT",
        Side.BUY,
        OrderType.LIMIT,
        Decimal(2),
        Decimal(100),
        status,
        Decimal(filled),
        Decimal(100),
        ts,
        fills=fills,
    )


def test_fills_and_progress_are_reported_once_whatever_the_order() -> None:
    tracker = OrderTracker()
    tracker.add(OURS)
    placed = tracker.apply(report(OrderStatus.NEW, "0"))
    assert [e.status for e in placed if isinstance(e, Order)] == [OrderStatus.NEW]
    assert placed[0] == replace(
        OURS,
        exchange_order_id="42",
        updated_at=T0 + timedelta(seconds=1),
        average_price=Decimal(100),
    )

    first = tracker.apply(report(OrderStatus.PARTIALLY_FILLED, "1", "t1", second=2))
    assert [type(e).__name__ for e in first] == ["Order", "Fill"]
    assert tracker.apply(report(OrderStatus.PARTIALLY_FILLED, "1", "t1", second=2)) == []
    done = tracker.apply(report(OrderStatus.FILLED, "2", "t1", "t2", second=3))
    assert [getattr(e, "trade_id", "order") for e in done] == ["order", "t2"]
    assert tracker.apply(report(OrderStatus.NEW, "0", second=1)) == []  # late
    assert tracker.apply(report(OrderStatus.CANCELED, "2", second=4)) == []  # final stays
    final = tracker.get("c-1")
    assert final is not None and final.status is OrderStatus.FILLED
    assert final.intent_id == "intent-1" and tracker.open_orders() == []


def test_exchange_overrules_a_local_not_placed_verdict() -> None:
    tracker = OrderTracker()
    tracker.add(replace(OURS, status=OrderStatus.REJECTED, reason="not placed"))
    [revived] = tracker.apply(report(OrderStatus.NEW, "0"))
    assert isinstance(revived, Order) and revived.status is OrderStatus.NEW
    assert tracker.open_orders() == [revived]


def test_orders_we_never_sent_are_tracked_too() -> None:
    tracker = OrderTracker()
    [order] = tracker.apply(report(OrderStatus.NEW, "0"))
    assert (
        isinstance(order, Order) and order.intent_id == "" and order.created_at == order.updated_at
    )
