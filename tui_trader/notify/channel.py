"""One outbound notification channel: a queue drained by its own task.

`submit` is synchronous and O(1), so the trader (or the notifier) never waits on Slack or
Telegram. The task sends at most one message per `min_interval_s` (every attempt counts,
retries included); whatever queued up meanwhile is coalesced into the next message, up
to the transport's length limit. Failures are retried with backoff behind a circuit
breaker; undelivered text goes back to the queue, which is bounded: when a service stays
down the oldest notices are dropped and the next message says how many."""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from tui_trader.resilience.breaker import BreakerOpen, ServiceBreaker
from tui_trader.resilience.retry import Backoff, retry_async
from tui_trader.secrets.redact import redact

log = logging.getLogger("tui_trader.notify")

Sleep = Callable[[float], Awaitable[None]]


class DeliveryError(Exception):
    """A send failed. `permanent` errors (bad webhook, unknown chat) are not retried;
    `retry_after_s` is the server's own hint (HTTP 429)."""

    def __init__(
        self, message: str, *, retry_after_s: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(redact(message))
        self.retry_after_s = retry_after_s
        self.permanent = permanent


class Transport(Protocol):
    name: str
    max_length: int

    async def send(self, text: str) -> None: ...

    async def close(self) -> None: ...


def _retryable(exc: Exception) -> bool:
    return not isinstance(exc, BreakerOpen) and not getattr(exc, "permanent", False)


class Channel:
    def __init__(
        self,
        transport: Transport,
        *,
        min_interval_s: float = 1.0,
        backoff: Backoff | None = None,
        breaker: ServiceBreaker | None = None,
        max_pending: int = 200,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.transport = transport
        self.name = transport.name
        self.breaker = breaker
        self.min_interval_s = min_interval_s
        self.max_pending = max_pending
        self.backoff = backoff or Backoff(attempts=3, base_s=max(min_interval_s, 1.0), max_s=30)
        self.delivered = 0  # notices that reached the service
        self.sends = 0  # messages that reached it (each may hold several notices)
        self.dropped = 0  # notices dropped for good (queue full, permanent error)
        self._pending: deque[str] = deque()
        self._dropped_unsaid = 0
        self._wake = asyncio.Event()
        self._last_attempt: float | None = None
        self._failed_rounds = 0  # deliveries in a row that failed after all retries
        self._monotonic = monotonic
        self._sleep = sleep

    @property
    def pending(self) -> int:
        return len(self._pending)

    def submit(self, text: str) -> None:
        """Queue a notice; never blocks, never raises on a full queue."""
        self._pending.append(text)
        self._trim()
        self._wake.set()

    def _trim(self) -> None:
        while len(self._pending) > self.max_pending:
            self._pending.popleft()
            self.dropped += 1
            self._dropped_unsaid += 1

    async def run(self) -> None:
        """The channel's edge task: deliver until cancelled, then close the transport."""
        try:
            while True:
                await self._wait_for_work()
                await self._deliver_once()
        finally:
            with contextlib.suppress(Exception):
                await self.transport.close()

    async def _wait_for_work(self) -> None:
        while not self._pending:
            self._wake.clear()
            await self._wake.wait()

    async def _deliver_once(self) -> None:
        if self.breaker is not None and self.breaker.retry_in_s() > 0:
            await self._sleep(self.breaker.retry_in_s())
            return
        dropped_note = self._dropped_unsaid
        taken, text = self._take()
        try:
            await retry_async(
                lambda: self._attempt(text),
                self.backoff,
                retry_if=_retryable,
                sleep=self._sleep,
                what=f"{self.name} delivery",
            )
        except Exception as exc:
            if self._failed(taken, exc):
                self._dropped_unsaid += dropped_note
                self._failed_rounds += 1
                await self._sleep(self.backoff.delay(self._failed_rounds))
        except BaseException:  # cancelled mid-delivery: keep the text for a restart
            self._requeue(taken)
            self._dropped_unsaid += dropped_note
            raise
        else:
            self.sends += 1
            self.delivered += len(taken)
            self._failed_rounds = 0

    async def _attempt(self, text: str) -> None:
        await self._wait_turn()
        self._last_attempt = self._monotonic()
        if self.breaker is None:
            await self.transport.send(text)
        else:
            await self.breaker.call(lambda: self.transport.send(text))

    async def _wait_turn(self) -> None:
        if self._last_attempt is None:
            return
        wait = self._last_attempt + self.min_interval_s - self._monotonic()
        if wait > 0:
            await self._sleep(wait)

    def _take(self) -> tuple[list[str], str]:
        """Pop as many queued notices as fit in one message (at least one)."""
        limit = self.transport.max_length
        parts: list[str] = []
        if self._dropped_unsaid:
            parts.append(f"({self._dropped_unsaid} older notifications were dropped)")
            self._dropped_unsaid = 0
        taken: list[str] = []
        size = sum(len(p) + 1 for p in parts)
        while self._pending and (not taken or size + len(self._pending[0]) + 1 <= limit):
            notice = self._pending.popleft()
            taken.append(notice)
            size += len(notice) + 1
        text = "\n".join(parts + taken)
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        return taken, text

    def _requeue(self, taken: list[str]) -> None:
        self._pending.extendleft(reversed(taken))
        self._trim()

    def _failed(self, taken: list[str], exc: Exception) -> bool:
        """Drop (permanent error) or requeue; True when the notices were kept."""
        if getattr(exc, "permanent", False):
            self.dropped += len(taken)
            log.error("%s: %d notices not deliverable, dropped: %s", self.name, len(taken), exc)
            return False
        log.warning("%s: delivery failed, %d notices kept: %s", self.name, len(taken), exc)
        self._requeue(taken)
        return True
