"""The broker interface the execution engine talks to. Nothing else sends orders."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

from tui_trader.domain.guards import GuardKind, GuardOrder
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position

BrokerEvent = Order | Fill
BrokerListener = Callable[[BrokerEvent], None]
GuardListener = Callable[[GuardOrder], None]


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


@runtime_checkable
class GuardVenue(Protocol):
    """A broker whose venue holds conditional orders for us (USD-M futures): the guards
    that protect a position while the trader is down (domain/guards.py)."""

    def guard_kinds(self, symbol: str) -> frozenset[GuardKind]:
        """The guards the venue can hold for `symbol`: a stop and a take-profit apart
        (USD-M), or together as one BRACKET (spot OCO) or a stop alone."""

    def subscribe_guards(self, listener: GuardListener) -> None:
        """Register a callback for every guard state the venue reports (placement replies
        and pushed updates), on the event loop."""

    async def place_guard(self, guard: GuardOrder) -> GuardOrder:
        """Place it; the venue's view back (OPEN, or REJECTED with its reason). Raises
        BrokerError when the outcome is unknown."""

    async def cancel_guard(self, guard: GuardOrder) -> GuardOrder | None:
        """Cancel it; None when the venue has no such open guard."""

    async def open_guards(self) -> list[GuardOrder]:
        """Every guard (ours by client id) working on the traded symbols."""

    async def recover_fired_guards(
        self, since: datetime, booked: set[tuple[str, str]]
    ) -> list[Fill]:
        """Emit the fills of our guards that fired since `since` (the trader was down),
        except those `booked` already ((symbol, trade id) pairs); returns them."""


@runtime_checkable
class QueuingVenue(Protocol):
    """A broker for a venue with market hours (Alpaca) that holds an exit asked for while
    the market is closed and has the engine send it at the next open (alpaca/exit_queue.py).
    A held exit is an open order with no venue id whose reason says
    "queued for the open at ..." (Order.queued)."""

    def queued(self) -> list[Order]:
        """The exits held for the open, as the trader knows them."""

    def release(self, client_order_id: str) -> Order | None:
        """Stop holding it, to send it now (the engine's SendQueued); None when it is no
        longer held (cancelled meanwhile)."""

    def restore_queued(self, orders: Iterable[Order]) -> list[Order]:
        """After a restart: hold again the journal's queued exits among `orders`."""

    def send_queued_through(self, send: Callable[[str], None]) -> None:
        """At the open, `send(client_order_id)` is called once per held exit: it queues
        a SendQueued for the engine (the single writer)."""
