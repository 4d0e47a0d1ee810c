"""The execution engine: the single consumer of the command queue and the only code
that talks to a broker. Order of work per intent, never reordered:
kill switch → idempotency → risk → journal the intent (durably) → broker → outcome.

Journal step: an entry waits for its commit, and is refused at once while the journal is
failing. An exit (stop-loss, take-profit, trailing, flatten, close) waits at most 0.5 s
(journal.store.EXIT_WAIT_S), then its intent goes to the fsync'd exit-intent log instead:
a locked journal never holds a stop-loss back. Either way it is on disk before the broker
sees it.

On a venue with market hours (Alpaca), an exit asked for while the market is closed comes
back from the broker NEW with the reason "queued for the open at ..." and nothing sent;
at the open the broker asks for a SendQueued, and the engine sends it then, under the
same client order id (no new intent, no new risk check: it was approved when asked for)."""

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from tui_trader.clock import Clock
from tui_trader.domain.enums import OrderStatus
from tui_trader.domain.orders import Order, OrderIntent
from tui_trader.execution.broker import (
    Broker,
    BrokerError,
    NotSent,
    OrderRejected,
    QueuingVenue,
)
from tui_trader.execution.commands import (
    CancelGuard,
    CancelRequest,
    EngineCommand,
    PlaceGuard,
    SendQueued,
    order_from_intent,
)
from tui_trader.execution.gate import GateDecision, OrderGate
from tui_trader.journal.errors import JournalError
from tui_trader.journal.store import Journal
from tui_trader.ops.log_format import about
from tui_trader.risk.context import RiskContext
from tui_trader.runtime.guard_sender import send_guard_command

log = logging.getLogger("tui_trader.execution")


class EngineListener(Protocol):
    """How the engine reports back to the trader (all called on the event loop)."""

    def on_decision(self, decision: GateDecision) -> None: ...

    def on_order(self, order: Order) -> None: ...

    def on_broker_failure(self, source: str, error: str) -> None: ...

    def on_broker_success(self) -> None: ...

    def on_intent_failed(self, intent: OrderIntent, reason: str) -> None:
        """An approved intent could not be sent (journal or engine failure)."""

    def on_journal_health(self, writable: bool, detail: str) -> None:
        """The journal started failing to write, or writes again (changes only)."""


class Mirror(Protocol):
    """Receives a copy of every order that reached the venue (the shadow paper broker)."""

    def mirror(self, order: Order, reference: Decimal | None) -> None: ...

    def cancel(self, client_order_id: str) -> None: ...


class ExecutionEngine:
    def __init__(
        self,
        gate: OrderGate,
        journal: Journal,
        broker: Broker,
        context: Callable[[OrderIntent], RiskContext],
        listener: EngineListener,
        clock: Clock,
    ) -> None:
        self.gate = gate
        self.journal = journal
        self.broker = broker
        self._context = context
        self._listener = listener
        self._clock = clock
        self.queue: asyncio.Queue[EngineCommand] = asyncio.Queue()
        self.mirror: Mirror | None = None
        journal.watch(listener.on_journal_health)

    def use_broker(self, broker: Broker) -> Broker:
        """Send to `broker` from now on (the trader adopted an exchange account); returns
        the previous one, for the caller to close. The single writer stays single."""
        previous, self.broker = self.broker, broker
        return previous

    def use_mirror(self, mirror: Mirror) -> None:
        """Copy every order that reaches the venue (and every cancel) to `mirror`."""
        self.mirror = mirror

    def submit(self, command: EngineCommand) -> None:
        self.queue.put_nowait(command)

    async def run(self) -> None:
        """Consume commands forever; one at a time, so nothing races to the broker."""
        while True:
            command = await self.queue.get()
            try:
                await self.process(command)
            except Exception as exc:  # never let one command kill the only order path
                log.exception("execution of %s failed", command)
                if isinstance(command, OrderIntent):
                    self._listener.on_intent_failed(command, f"{type(exc).__name__}: {exc}")
                self._listener.on_broker_failure("engine", f"{type(exc).__name__}: {exc}")
            finally:
                self.queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued command has been handled."""
        await self.queue.join()

    async def process(self, command: EngineCommand) -> Order | None:
        if isinstance(command, CancelRequest):
            return await self._cancel(command)
        if isinstance(command, PlaceGuard | CancelGuard):
            await send_guard_command(command, self.broker, self.journal, self._listener)
            return None
        if isinstance(command, SendQueued):
            return await self._send_queued(command.client_order_id)
        return await self._place(command)

    async def _send_queued(self, client_order_id: str) -> Order | None:
        """The market opened: send the exit the broker held (unless cancelled meanwhile)."""
        broker = self.broker
        order = broker.release(client_order_id) if isinstance(broker, QueuingVenue) else None
        if order is None:
            return None
        result = await self._send(order)
        log.info(
            "sent queued %s %s %s %s at the open (%s) -> %s",
            order.purpose,
            order.side,
            order.quantity,
            order.symbol,
            client_order_id,
            result.status,
            extra=about(order.symbol),
        )
        self._listener.on_order(result)
        if self.mirror is not None and result.status is not OrderStatus.REJECTED:
            self.mirror.mirror(result, None)
        return result

    async def _place(self, intent: OrderIntent) -> Order | None:
        decision = self.gate.check(intent, self._context(intent))
        self._journal_decision(decision)
        self._listener.on_decision(decision)
        if not decision.approved:
            return None
        order = order_from_intent(intent, decision.client_order_id, self._clock)
        if not await self._journal_intent(intent, decision.client_order_id):
            return None
        # The journal write awaited a commit: the kill switch may have fired, or the
        # engine stopped, meanwhile.
        blocked = self.gate.blocked(intent)
        if blocked is not None:
            closed = order.evolve(status=OrderStatus.REJECTED, reason=f"not sent: {blocked}")
            self._listener.on_order(closed)
            return closed
        result = await self._send(order)
        log.info(
            "sent %s %s %s %s @ %s (%s) -> %s",
            order.purpose,
            order.side,
            order.quantity,
            order.symbol,
            order.price or "MARKET",
            order.client_order_id,
            result.status,
            extra=about(order.symbol),
        )
        self._listener.on_order(result)
        # An exit held for the market's open is mirrored once it is sent.
        mirrored = result.status is not OrderStatus.REJECTED and not result.queued
        if self.mirror is not None and mirrored:
            self.mirror.mirror(result, intent.reference_price)
        return result

    async def _journal_intent(self, intent: OrderIntent, coid: str) -> bool:
        """True once the intent is durable. Not journaled means not sent: invariant 1
        outranks the trade."""
        if not intent.purpose.is_exit and self.journal.failing:
            # Entries stop while the journal fails; not a new failure to count.
            self._listener.on_intent_failed(intent, "not journaled: the journal cannot write")
            return False
        try:
            if intent.purpose.is_exit:
                if await self.journal.record_exit_intent(intent, coid):
                    log.warning("exit %s journaled in the exit-intent log (journal busy)", coid)
            else:
                await self.journal.record_intent(intent, coid)
        except JournalError as exc:
            self._listener.on_intent_failed(intent, f"not journaled: {exc}")
            self._listener.on_broker_failure("journal", f"intent not journaled: {exc}")
            return False
        return True

    async def _send(self, order: Order) -> Order:
        try:
            result = await self.broker.submit(order)
        except (OrderRejected, NotSent) as exc:  # definitely not placed: nothing to query
            return order.evolve(
                status=OrderStatus.REJECTED,
                reason=f"not sent: {exc}",
                updated_at=self._clock.now(),
            )
        except BrokerError as exc:
            self._listener.on_broker_failure("broker", f"submit {order.client_order_id}: {exc}")
            return await self._resolve_unknown(order, str(exc))
        self._listener.on_broker_success()
        self.gate.risk.record_sent(self._clock.now())
        return result

    async def _resolve_unknown(self, order: Order, error: str) -> Order:
        """The broker failed mid-request: ask it by client id before deciding anything,
        and never send the order again."""
        try:
            found = await self.broker.query(order.client_order_id)
        except BrokerError as exc:
            log.warning("order %s outcome unknown: %s", order.client_order_id, exc)
            # Leave it unfinished in the journal: reconciliation asks again at start.
            return order.evolve(reason=f"outcome unknown: {error}")
        if found is not None:
            self.gate.risk.record_sent(self._clock.now())
            return found
        return order.evolve(
            status=OrderStatus.REJECTED,
            reason=f"not placed ({error}); broker does not know the client id",
            updated_at=self._clock.now(),
        )

    async def _cancel(self, request: CancelRequest) -> Order | None:
        if self.mirror is not None:
            self.mirror.cancel(request.client_order_id)
        try:
            result = await self.broker.cancel(request.client_order_id)
        except BrokerError as exc:
            self._listener.on_broker_failure("broker", f"cancel {request.client_order_id}: {exc}")
            return None
        self._listener.on_broker_success()
        if result is not None:
            self._listener.on_order(result)
        return result

    def _journal_decision(self, decision: GateDecision) -> None:
        checks = [check.record() for check in decision.risk.checks] if decision.risk else []
        self.journal.record_risk_decision(
            decision.intent.intent_id,
            decision.client_order_id,
            decision.approved,
            f"{decision.stage}: {decision.reason}",
            checks,
        )
