"""What the venues' streaming feeds share (binance/, upbit/ and alpaca/feed.py): one
named task that connects, backfills after a gap, consumes until the connection must go,
and reconnects after a backoff with jitter; the queue consumers read, never slowing the
socket down (ticks beyond a backlog are dropped and counted, candles never); the status
line; and reports of bad frames (counted, a safety event at most every
BAD_REPORT_EVERY_S), of a reconnect or of a stop, through a listener that can never take
the feed down. Each venue says how to connect, backfill, consume and release."""

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from tui_trader.clock import Clock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind, tell
from tui_trader.domain.market import Tick
from tui_trader.market.feed import MarketEvent
from tui_trader.market.validation import bad_data_event
from tui_trader.snapshot import FeedStatus

log = logging.getLogger(__name__)
BAD_REPORT_EVERY_S = 10.0
SafetyListener = Callable[[SafetyEvent], None]


class Delays(Protocol):
    """resilience.retry.Backoff, as the supervisor uses it."""

    def delay(self, retry: int, rand: float | None = None) -> float: ...


class StreamFeed(ABC):
    def __init__(
        self,
        name: str,
        clock: Clock,
        on_safety: SafetyListener | None,
        backoff: Delays,
        stale_after_s: float,
        max_tick_backlog: int,
    ) -> None:
        self.name, self._clock, self._on_safety = name, clock, on_safety
        self._backoff, self._stale_after_s = backoff, stale_after_s
        self._max_tick_backlog = max_tick_backlog
        self._queue: asyncio.Queue[MarketEvent | None] = asyncio.Queue()
        self._counts = {"reconnects": 0, "bad_frames": 0, "dropped_ticks": 0}
        self._connected, self._detail = False, "not started"
        self._last_event_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._bad_reported = -BAD_REPORT_EVERY_S

    # --- what each venue provides ----------------------------------------------------
    @abstractmethod
    async def _connect(self) -> None:
        """Open the venue's stream and subscribe."""

    @abstractmethod
    async def _backfill(self) -> int:
        """Emit what closed while disconnected; returns how many candles."""

    @abstractmethod
    async def _consume(self) -> str:
        """Read the connection until it must be replaced; returns why."""

    @abstractmethod
    async def _close_socket(self) -> None:
        """Close the current connection (a new one follows)."""

    @abstractmethod
    async def _release(self) -> None:
        """Everything the feed holds, at close (the socket and any session)."""

    async def _stop(self, task: asyncio.Task[None]) -> None:
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task

    def _counted(self) -> dict[str, int]:
        return self._counts

    # --- public -------------------------------------------------------------------
    async def events(self) -> AsyncIterator[MarketEvent]:
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._run(), name=f"feed:{self.name}")
            self._task.add_done_callback(self._on_task_done)
        while (event := await self._queue.get()) is not None:
            yield event

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            await self._stop(self._task)
        # Cleanup happens here, not in the task: a cancellation may land repeatedly,
        # which would cut a cleanup running inside the task short.
        await self._release()
        self._connected = False
        self._queue.put_nowait(None)

    def status(self) -> FeedStatus:
        counts = " ".join(f"{k}={v}" for k, v in self._counted().items())
        return FeedStatus(
            self.name,
            self._connected,
            self._last_event_at,
            self._stale_after_s,
            f"{counts}; {self._detail}",
        )

    # --- connection supervisor ------------------------------------------------------
    async def _run(self) -> None:
        failures, reason = 0, ""  # reason stays "" until the first connection is made
        while True:
            try:
                await self._connect()
                backfilled = await self._backfill() if reason else 0
            except Exception as exc:  # the venue unreachable or refusing: retry later
                log.warning("%s: connect failed: %r", self.name, exc)
                await self._close_socket()
                self._detail = f"connect failed: {exc!r}"
                await asyncio.sleep(self._backoff.delay(failures))
                failures += 1
                continue
            if reason:
                self._report_reconnect(reason, failures, backfilled)
            self._connected, self._detail, failures = True, "streaming", 0
            reason = await self._consume()
            self._connected, self._detail = False, f"reconnecting after {reason}"
            await self._close_socket()
            await asyncio.sleep(self._backoff.delay(0))

    def _put_tick(self, tick: Tick) -> None:
        if self._queue.qsize() >= self._max_tick_backlog:
            self._counts["dropped_ticks"] += 1  # the consumer is behind; candles still go in
            return
        self._queue.put_nowait(tick)

    # --- reporting ------------------------------------------------------------------
    def _report_reconnect(self, reason: str, failures: int, backfilled: int) -> None:
        self._counts["reconnects"] += 1
        self._safety(
            SafetyEvent(
                ts=self._clock.now(),
                severity=Severity.WARNING,
                kind=SafetyKind.FEED_RECONNECT,
                message=f"{self.name}: reconnected after {reason}; backfilled {backfilled} candles",
                data={"reason": reason, "failed_attempts": failures, "backfilled": backfilled},
            )
        )

    def _bad(self, reason: str) -> None:
        self._report_bad(bad_data_event(self.name, self._clock.now(), reason, {}))

    def _report_bad(self, event: SafetyEvent) -> None:
        """Every bad frame is counted and logged; a safety event says so at most every
        BAD_REPORT_EVERY_S, with the count, so garbage cannot flood the journal."""
        self._counts["bad_frames"] += 1
        log.warning("%s: dropped frame: %s", self.name, event.message)
        now = asyncio.get_running_loop().time()
        if now - self._bad_reported >= BAD_REPORT_EVERY_S:
            self._bad_reported = now
            total = self._counts["bad_frames"]
            self._safety(replace(event, message=f"{event.message} ({total} dropped so far)"))

    def _safety(self, event: SafetyEvent) -> None:
        tell(self._on_safety, event)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        self._connected, self._detail = False, f"failed: {exc!r}"
        self._safety(
            SafetyEvent(
                self._clock.now(),
                Severity.CRITICAL,
                SafetyKind.FEED_FAILED,
                f"{self.name}: feed stopped: {exc!r}",
            )
        )
        self._queue.put_nowait(None)
