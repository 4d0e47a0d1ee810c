"""The broker interface the execution engine talks to. Nothing else sends orders."""

from collections.abc import Callable
from typing import Protocol

from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position

BrokerEvent = Order | Fill
BrokerListener = Callable[[BrokerEvent], None]


class BrokerError(Exception):
    """The broker failed in a way that says nothing about the order's fate (timeout, 5xx,
    connection lost). The engine must query by client order id before any retry."""


class NotSent(BrokerError):
    """The request never left this process, or the broker refused it unprocessed
    (rate-limit pause, open circuit breaker): nothing was placed, nothing to query."""


class OrderRejected(Exception):
    """The broker definitely refused the order; nothing was placed."""


class Broker(Protocol):
    name: str

    def subscribe(self, listener: BrokerListener) -> None:
        """Register a callback for order updates and fills (called on the event loop)."""

    async def submit(self, order: Order) -> Order:
        """Place `order` (status NEW, client id set). Returns the broker's view of it:
        NEW/PARTIALLY_FILLED/FILLED, or REJECTED with `reason`. Raises BrokerError when
        the outcome is unknown."""

    async def cancel(self, client_order_id: str) -> Order | None:
        """Cancel an open order; returns the final order, or None if the broker has no
        such open order."""

    async def query(self, client_order_id: str) -> Order | None:
        """The broker's view of an order by client id, or None if it never saw it."""

    async def open_orders(self) -> list[Order]: ...

    async def balances(self) -> dict[str, Balance]: ...

    async def positions(self) -> dict[str, Position]:
        """Open positions by symbol as the venue holds them (none on spot: there the
        base asset balance is the position)."""

    async def close(self) -> None: ...
