from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.orders import Order
from tui_trader.execution.order_book import OrderBook

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def order(status: OrderStatus, at: datetime, coid: str = "tt-1") -> Order:
    return Order(
        coid,
        "i",
        "BTCUSDT",
        Side.BUY,
        OrderType.LIMIT,
        Decimal(1),
        Decimal(10),
        status,
        T0,
        at,
        IntentPurpose.ENTRY,
    )


def test_open_then_final() -> None:
    book = OrderBook()
    assert book.apply(order(OrderStatus.NEW, T0))
    assert book.open_for("BTCUSDT")
    assert book.apply(order(OrderStatus.FILLED, T0 + timedelta(seconds=1)))
    assert book.open_orders() == []
    assert book.recent()[0].status is OrderStatus.FILLED


def test_late_update_never_reopens_a_final_order() -> None:
    """The user stream's FILLED can arrive before the REST reply's NEW."""
    book = OrderBook()
    assert book.apply(order(OrderStatus.FILLED, T0 + timedelta(seconds=1)))
    assert not book.apply(order(OrderStatus.NEW, T0))
    assert not book.apply(order(OrderStatus.NEW, T0 + timedelta(seconds=5)))
    assert book.open_orders() == []
    assert book.is_final("tt-1")


def test_older_update_than_held_is_ignored() -> None:
    book = OrderBook()
    book.apply(order(OrderStatus.PARTIALLY_FILLED, T0 + timedelta(seconds=2)))
    assert not book.apply(order(OrderStatus.NEW, T0))
    assert book.open_orders()[0].status is OrderStatus.PARTIALLY_FILLED
