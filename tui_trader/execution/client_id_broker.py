"""What the brokers of venues that look an order up by our own client id share
(UpbitBroker by `identifier`, AlpacaBroker by `client_order_id`): the listeners, safety
reports made once per key, the rule for a placement whose outcome is unknown (ask the
venue by that id; found → that order; unknown to it → REJECTED "not placed"; no answer
→ BrokerError, and the order is never sent again), and reconciliation after every
reconnection of the venue's order stream (events may have been missed meanwhile)."""

import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from tui_trader.clock import Clock
from tui_trader.domain.enums import OrderStatus, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind, tell
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Balance
from tui_trader.execution.broker import BrokerError, BrokerEvent, BrokerListener

log = logging.getLogger(__name__)
SafetyListener = Callable[[SafetyEvent], None]
Reconcile = Callable[[str], Awaitable[object]]


class OrderKeeper(Protocol):
    def add(self, order: Order) -> None: ...


M = TypeVar("M", bound=OrderKeeper)


class ClientIdBroker(ABC, Generic[M]):
    venue: str  # "Upbit": in messages
    id_name: str  # what the venue calls our client order id

    def __init__(self, memory: M, clock: Clock, on_safety: SafetyListener | None) -> None:
        self._memory, self._clock, self._on_safety = memory, clock, on_safety
        self._sent: set[str] = set()  # client ids sent once: never again
        self._listeners: list[BrokerListener] = []
        self._reported: set[str] = set()  # foreign or unreadable orders already reported
        self._balances: dict[str, Balance] = {}
        self._connections = 0  # order-stream (re)connections so far
        self._on_reconnect: Reconcile | None = None

    def reconcile_on_reconnect(self, reconcile: Reconcile) -> None:
        """Run `reconcile` after every reconnection of the order stream (not the first
        connection: live start reconciles already), as Binance's broker does after a
        re-subscription: events may have been missed meanwhile."""
        self._on_reconnect = reconcile

    async def _stream_connected(self, stream: str) -> None:
        """The order stream `stream` is (again) listening, after the broker's poll."""
        self._connections += 1
        if self._connections > 1 and self._on_reconnect is not None:
            await self._on_reconnect(f"{self.venue} {stream} reconnected")

    def subscribe(self, listener: BrokerListener) -> None:
        self._listeners.append(listener)

    @property
    def last_balances(self) -> dict[str, Balance]:
        """Balances as of the last account read (no I/O)."""
        return dict(self._balances)

    @abstractmethod
    async def query(self, client_order_id: str) -> Order | None:
        """The venue's order with our client id; None if it does not know it."""

    async def _settled(self, order: Order) -> Order:
        """Ask once more how `order` stands (a market order fills at once, a cancel
        completes at once); if the venue does not answer, polling will."""
        try:
            return await self.query(order.client_order_id) or order
        except BrokerError:
            return order

    async def _recover(self, order: Order, why: str) -> Order:
        """The placement's outcome is unknown: ask the venue by our client id."""
        try:
            found = await self.query(order.client_order_id)
        except BrokerError as exc:
            raise BrokerError(f"{order.client_order_id}: outcome unknown ({why}): {exc}") from None
        if found is None:
            why_not = f"not placed ({why}); {self.venue} does not know the {self.id_name}"
            return self._reject(order, why_not)
        return found

    def _reject(self, order: Order, reason: str) -> Order:
        rejected = order.evolve(
            status=OrderStatus.REJECTED, reason=reason, updated_at=self._clock.now()
        )
        self._memory.add(rejected)
        self._emit([rejected])
        return rejected

    def _emit(self, events: list[BrokerEvent]) -> None:
        for event in events:
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:  # one broken listener must not starve the others
                    log.exception("broker listener failed on %r", event)

    def _report_once(self, key: str, kind: SafetyKind, message: str) -> None:
        if key in self._reported or self._on_safety is None:
            return
        self._reported.add(key)
        tell(self._on_safety, SafetyEvent(self._clock.now(), Severity.WARNING, kind, message))
