"""Our record of orders: open ones by client id, plus a bounded list of recent ones."""

from collections import OrderedDict

from tui_trader.domain.enums import IntentPurpose
from tui_trader.domain.orders import Order

RECENT_ORDERS = 50


class OrderBook:
    def __init__(self) -> None:
        self._open: dict[str, Order] = {}
        self._final: set[str] = set()  # ids that reached a final state: never reopened
        # Oldest first, by client id: replacing an order's entry and dropping the
        # oldest are O(1) (an order is remembered at every state change).
        self._recent: OrderedDict[str, Order] = OrderedDict()

    def apply(self, order: Order) -> bool:
        """Record the newest state of an order; False when the update is late and was
        ignored: older than what we hold, or any state for an order already final (the
        user stream's FILLED can beat a REST reply)."""
        coid = order.client_order_id
        previous = self._open.get(coid)
        if previous is not None and order.updated_at < previous.updated_at:
            return False
        if coid in self._final:
            return False
        if order.is_open:
            self._open[coid] = order
        else:
            self._open.pop(coid, None)
            self._final.add(coid)
        self._remember(order)
        return True

    def is_final(self, client_order_id: str) -> bool:
        return client_order_id in self._final

    def _remember(self, order: Order) -> None:
        recent = self._recent
        recent.pop(order.client_order_id, None)
        recent[order.client_order_id] = order
        if len(recent) > RECENT_ORDERS:
            recent.popitem(last=False)

    def get(self, client_order_id: str) -> Order | None:
        return self._open.get(client_order_id)

    def open_orders(self) -> list[Order]:
        return list(self._open.values())

    def open_for(self, symbol: str, purpose: IntentPurpose | None = None) -> list[Order]:
        return [
            order
            for order in self._open.values()
            if order.symbol == symbol and (purpose is None or order.purpose is purpose)
        ]

    def recent(self) -> tuple[Order, ...]:
        """The last RECENT_ORDERS orders to change, newest first."""
        return tuple(reversed(self._recent.values()))
