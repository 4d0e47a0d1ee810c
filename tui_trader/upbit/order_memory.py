"""The Upbit broker's memory of orders: applies order replies in any order, any number
of times, and says which order updates and fills are new.

A fill is emitted once (keyed by Upbit's trade uuid) and an order never moves back: a
final order stays final and its executed volume never shrinks. The one exception is an
order we marked REJECTED without hearing from Upbit (no uuid): if Upbit later reports
it, Upbit is right."""

from collections.abc import Iterable
from decimal import Decimal

from tui_trader.domain.orders import Fill, Order
from tui_trader.execution.broker import BrokerEvent
from tui_trader.upbit.parse_orders import UpbitOrder


def _advances(known: Order, report: UpbitOrder) -> bool:
    if known.status.is_final:
        return not known.exchange_order_id and known.status.value == "REJECTED"
    if report.executed != known.filled_quantity:
        return report.executed > known.filled_quantity
    return report.status != known.status or not known.exchange_order_id


class OrderMemory:
    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._trades: set[str] = set()
        self._seen_qty: dict[str, Decimal] = {}  # executed volume of the fills emitted

    def remember(self, orders: Iterable[Order], trade_ids: Iterable[str]) -> None:
        """Seed what the journal knows (after a restart): orders not held yet, and the
        trades already booked, so none is booked twice."""
        for order in orders:
            self._orders.setdefault(order.client_order_id, order)
            self._seen_qty.setdefault(order.client_order_id, order.filled_quantity)
        self._trades.update(trade_ids)

    def fill_gaps(self) -> list[Order]:
        """Orders executed further than the fills emitted of them (a list reply has no
        trades): their fills come with a query of the order."""
        seen = self._seen_qty
        return [
            o for o in self._orders.values() if o.filled_quantity > seen.get(o.client_order_id, 0)
        ]

    def add(self, order: Order) -> None:
        self._orders[order.client_order_id] = order

    def get(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    def open_orders(self) -> list[Order]:
        return [order for order in self._orders.values() if order.is_open]

    def apply(self, report: UpbitOrder) -> list[BrokerEvent]:
        """Record `report`; returns what is new: the order (if it moved on), then the
        fills of trades not seen before."""
        events: list[BrokerEvent] = []
        cid = report.client_order_id
        known = self._orders.get(cid)
        if known is None or _advances(known, report):
            self._orders[cid] = report.to_order(known)
            events.append(self._orders[cid])
        fresh = [t for t in report.trades or () if t.trade_id not in self._trades]
        if fresh:
            fills = report.fills(fresh)
            self._trades.update(t.trade_id for t in fresh)
            seen = self._seen_qty.get(cid, Decimal(0))
            self._seen_qty[cid] = seen + sum((f.quantity for f in fills), Decimal(0))
            events.extend(fills)
        return events

    def book(self, fill: Fill) -> bool:
        """A fill told on its own (the myOrder stream): True if its trade is new. The same
        trade set as apply()'s, so a trade the stream and a poll both tell books once."""
        if fill.trade_id in self._trades:
            return False
        self._trades.add(fill.trade_id)
        seen = self._seen_qty.get(fill.client_order_id, Decimal(0))
        self._seen_qty[fill.client_order_id] = seen + fill.quantity
        return True
