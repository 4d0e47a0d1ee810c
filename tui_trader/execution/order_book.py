"""Our record of orders: open ones by client id, plus a bounded list of recent ones."""

from collections import deque

from tui_trader.domain.enums import IntentPurpose
from tui_trader.domain.orders import Order

RECENT_ORDERS = 50


class OrderBook:
    def __init__(self) -> None:
        self._open: dict[str, Order] = {}
        self._recent: deque[Order] = deque(maxlen=RECENT_ORDERS)

    def apply(self, order: Order) -> Order | None:
        """Record the newest state of an order; returns the previous state, if any.
        An update older than what we hold (late event) is ignored."""
        previous = self._open.get(order.client_order_id)
        if previous is not None and order.updated_at < previous.updated_at:
            return previous
        if order.is_open:
            self._open[order.client_order_id] = order
        else:
            self._open.pop(order.client_order_id, None)
        self._remember(order)
        return previous

    def _remember(self, order: Order) -> None:
        for index, known in enumerate(self._recent):
            if known.client_order_id == order.client_order_id:
                del self._recent[index]
                break
        self._recent.appendleft(order)

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
        return tuple(self._recent)
