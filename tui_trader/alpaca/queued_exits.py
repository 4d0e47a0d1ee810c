"""QueuedExits: the AlpacaBroker's exits held for the next open (exit_queue.py says why
they are held here, and how a restart keeps them): holding one (what Alpaca would refuse
is refused now), restoring the journal's after a restart, asking Alpaca whether a
restored one went out before a crash, cancelling one (never sent), and the task that
hands each to the execution engine once the market is open (the engine sends it:
orders go out from one place only). Apart from broker.py, which calls it at each step."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from tui_trader.alpaca.exit_queue import ExitQueue, Held
from tui_trader.alpaca.order_rules import MarketOpen, RefusedLocally
from tui_trader.alpaca.parse_orders import AlpacaOrder
from tui_trader.clock import Clock
from tui_trader.domain.enums import OrderStatus, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind, tell
from tui_trader.domain.orders import Order
from tui_trader.execution.broker import BrokerError

log = logging.getLogger(__name__)
NextOpen = Callable[[datetime], datetime | None]
Check = Callable[[Order], object]  # raises RefusedLocally: every rule but the hours
Fetch = Callable[[str], Awaitable[AlpacaOrder | None]]  # Alpaca's order by client id
Adopt = Callable[[Order, AlpacaOrder], Order]  # it was sent after all: the broker's now
SafetyListener = Callable[[SafetyEvent], None]


class QueuedExits:
    def __init__(
        self,
        clock: Clock,
        is_open: MarketOpen,
        next_open: NextOpen | None,
        *,
        check: Check,
        fetch: Fetch,
        adopt: Adopt,
        on_safety: SafetyListener | None = None,
        check_s: float = 1.0,
    ) -> None:
        self._clock, self._is_open, self._next_open = clock, is_open, next_open
        self._check, self._fetch, self._adopt = check, fetch, adopt
        self._on_safety, self._check_s = on_safety, check_s
        self._queue = ExitQueue()
        self._send: Callable[[str], None] | None = None
        self._check_first: set[str] = set()  # restored exits released: ask Alpaca first
        self._task: asyncio.Task[None] | None = None

    def __contains__(self, client_order_id: object) -> bool:
        return client_order_id in self._queue

    def get(self, client_order_id: str) -> Held | None:
        return self._queue.get(client_order_id)

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="alpaca:exit-queue")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # --- the QueuingVenue protocol, through the broker --------------------------------
    def queued(self) -> list[Order]:
        return self._queue.orders()

    def release(self, client_order_id: str) -> Order | None:
        held = self._queue.take(client_order_id)
        if held is None:
            return None
        if held.restored:
            self._check_first.add(client_order_id)
        return held.order

    def send_through(self, send: Callable[[str], None]) -> None:
        self._send = send

    def restore(self, orders: Iterable[Order]) -> list[Order]:
        """The journal's exits queued for the open before a restart, held again (each is
        asked for by client_order_id before it is sent: the crash may have come after)."""
        now = self._clock.now()
        restored = []
        for order in orders:
            if not order.queued or order.client_order_id in self._queue:
                continue
            opens = now if self._is_open(now) else self._next_open_after(now) or now
            restored.append(self._queue.hold(order, opens, now, restored=True))
            self._say(f"{_label(order)} restored from the journal: {restored[-1].reason}", order)
        return restored

    # --- the broker's steps -----------------------------------------------------------
    def wanted(self, order: Order) -> bool:
        """An exit while the market is closed: held, not sent."""
        return order.purpose.is_exit and not self._is_open(self._clock.now())

    def hold(self, order: Order) -> Order:
        """Hold an exit for the next open; what Alpaca would refuse is refused now."""
        now = self._clock.now()
        opens = self._next_open_after(now)
        if opens is None:
            reason = (
                f"refused locally: the US stock market is closed at {now:%Y-%m-%d %H:%M} UTC "
                "and its next open is not in the calendar known here: the exit cannot be "
                "queued for it; the stop Alpaca holds still protects the position"
            )
            return order.evolve(status=OrderStatus.REJECTED, reason=reason, updated_at=now)
        try:
            self._check(order)
        except RefusedLocally as exc:
            reason = f"refused locally: {exc}"
            return order.evolve(status=OrderStatus.REJECTED, reason=reason, updated_at=now)
        queued = self._queue.hold(order, opens, now)
        self._say(f"{_label(order)} {queued.reason}", order)
        return queued

    def forget(self, client_order_id: str) -> Held | None:
        """No longer held: cancelled, or found at Alpaca after a restart."""
        self._check_first.discard(client_order_id)
        return self._queue.take(client_order_id)

    def cancel(self, client_order_id: str) -> Order | None:
        """A held exit cancelled: never sent (None if none is held)."""
        held = self.forget(client_order_id)
        if held is None:
            return None
        return held.order.evolve(
            status=OrderStatus.CANCELED,
            reason="cancelled while queued for the open: never sent",
            updated_at=self._clock.now(),
        )

    async def sent_before_crash(self, order: Order) -> Order | None:
        """A restored exit released at the open: Alpaca's order if it got it before the
        crash; None (send it) when Alpaca does not know its client_order_id (or this one
        was never restored). Alpaca unreachable: held again, tried at the next look."""
        cid = order.client_order_id
        if cid not in self._check_first:
            return None
        try:
            report = await self._fetch(cid)
        except BrokerError as exc:
            held = self._queue.hold(order, self._clock.now(), self._clock.now(), restored=True)
            log.warning("queued exit %s: cannot ask Alpaca whether it was sent: %s", cid, exc)
            return held
        self._check_first.discard(cid)
        return None if report is None else self._adopt(order, report)

    def _next_open_after(self, now: datetime) -> datetime | None:
        return self._next_open(now) if self._next_open is not None else None

    async def _watch(self) -> None:
        """Once the market is open, have the engine send every held exit (once each)."""
        while True:
            await asyncio.sleep(self._check_s)
            send = self._send
            if not len(self._queue) or send is None:
                continue
            for order in self._queue.due(self._is_open(self._clock.now())):
                try:
                    send(order.client_order_id)
                except Exception:
                    log.exception("queued exit %s could not be handed over", order.client_order_id)
                    self._queue.again(order.client_order_id)

    def _say(self, message: str, order: Order) -> None:
        now = self._clock.now()
        kind = SafetyKind.EXIT_QUEUED
        tell(self._on_safety, SafetyEvent(now, Severity.WARNING, kind, message, order.symbol))


def _label(order: Order) -> str:
    return (
        f"{order.purpose.value.lower()} {order.side} {order.quantity} {order.symbol} "
        f"({order.client_order_id})"
    )
