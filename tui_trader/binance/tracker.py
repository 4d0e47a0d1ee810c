"""The broker's memory of orders: applies exchange reports in any order, any number
of times, and says which order updates and fills are new.

REST replies and user-data events describe the same orders and fills, and events can
arrive twice or late. Each fill is emitted once (keyed by symbol and trade id) and an
order never moves backwards: a final order stays final and its filled quantity never
shrinks. The one exception is an order we marked REJECTED without ever hearing from
the exchange: if the exchange later reports it, the exchange is right."""

from collections.abc import Iterable
from decimal import Decimal

from tui_trader.binance.parse_orders import OrderReport
from tui_trader.domain.enums import OrderStatus
from tui_trader.domain.orders import Fill, Order
from tui_trader.execution.broker import BrokerEvent


def _advances(known: Order, report: OrderReport) -> bool:
    if known.status.is_final:
        return known.status is OrderStatus.REJECTED and not known.exchange_order_id
    if report.filled_quantity != known.filled_quantity:
        return report.filled_quantity > known.filled_quantity
    return report.status != known.status or (
        bool(report.exchange_order_id) and not known.exchange_order_id
    )


class OrderTracker:
    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._trades: set[tuple[str, str]] = set()
        self._seen_qty: dict[str, Decimal] = {}  # filled quantity of the fills seen

    def add(self, order: Order) -> None:
        self._orders[order.client_order_id] = order

    def remember(self, orders: Iterable[Order], fill_keys: Iterable[tuple[str, str]]) -> None:
        """Seed what the journal knows (after a restart): orders we do not hold yet, and
        the (symbol, trade id) of fills already booked, so none is booked twice."""
        for order in orders:
            self._orders.setdefault(order.client_order_id, order)
            self._seen_qty.setdefault(order.client_order_id, order.filled_quantity)
        self._trades.update(fill_keys)

    def get(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    def open_orders(self) -> list[Order]:
        return [order for order in self._orders.values() if order.is_open]

    def fill_gaps(self) -> list[Order]:
        """Orders reported filled further than the fills we have seen of them (a REST
        reply without fills, a stream that missed them)."""
        seen = self._seen_qty
        return [
            order
            for order in self._orders.values()
            if order.filled_quantity > seen.get(order.client_order_id, 0)
        ]

    def apply(self, report: OrderReport) -> list[BrokerEvent]:
        """Record `report`; returns what is new: the updated order (if it moved on)
        followed by its unseen fills."""
        events: list[BrokerEvent] = []
        known = self._orders.get(report.client_order_id)
        if known is None or _advances(known, report):
            order = report.to_order(known)
            self._orders[order.client_order_id] = order
            events.append(order)
        events.extend(self.new_fills(report.fills))
        return events

    def new_fills(self, fills: Iterable[Fill]) -> list[Fill]:
        """The fills not seen before, in order; they count as seen from now on."""
        fresh: list[Fill] = []
        for fill in fills:
            key = (fill.symbol, fill.trade_id)
            if key not in self._trades:
                self._trades.add(key)
                cid = fill.client_order_id
                self._seen_qty[cid] = self._seen_qty.get(cid, Decimal(0)) + fill.quantity
                fresh.append(fill)
        return fresh
