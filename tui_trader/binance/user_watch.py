"""The user data stream's silence watchdog and its REST polling fallback.

A user data stream only speaks when something happens, so silence alone proves
nothing; but silence while orders are working may mean the subscription died without
a word (python-binance never notices). Then we poll open orders and the account over
REST every `poll_s` until an event arrives on the stream again. A poll that finds
something the stream should have told us proves the stream dead: it is restarted."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from tui_trader.binance.aio import cancel_and_wait
from tui_trader.binance.user_stream import UserStream
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyKind
from tui_trader.execution.broker import BrokerError
from tui_trader.execution.order_stream import OrderStreamStatus

log = logging.getLogger(__name__)
Reporter = Callable[[Severity, SafetyKind, str, dict[str, Any]], None]


class UserDataWatch:
    def __init__(
        self,
        *,
        busy: Callable[[], bool],
        poll: Callable[[], Awaitable[bool]],
        restart: Callable[[str], None],
        report: Reporter,
        silence_s: float = 60.0,
        poll_s: float = 15.0,
        status: OrderStreamStatus | None = None,
    ) -> None:
        """`busy()`: orders are working, so silence matters. `poll()`: reconcile over
        REST, True when it found something the stream missed. `restart(reason)`:
        re-subscribe the stream."""
        self._busy, self._poll, self._restart, self._report = busy, poll, restart, report
        self._silence_s, self._poll_s = silence_s, poll_s
        self._last_event = 0.0
        self._idle_at = 0.0  # the last time no order was working
        self._last_poll = 0.0
        self.polling = False
        self.polls = 0
        self._status = status  # polling shows there (issue 17)

    def alive(self) -> None:
        """An event arrived on the stream: it is healthy; polling, if any, stops."""
        self._last_event = asyncio.get_running_loop().time()
        if self.polling:
            self.polling = False
            if self._status is not None:
                self._status.polling(False)
            message = "user data stream delivers again; REST polling stopped"
            self._report(
                Severity.INFO, SafetyKind.USER_STREAM_HEALTHY, message, {"polls": self.polls}
            )

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._last_event = loop.time()
        while True:
            await asyncio.sleep(min(self._silence_s, self._poll_s) / 4)
            now = loop.time()
            if not self._busy():  # nothing can be missed: silence is normal
                self._idle_at = now
                continue
            silent = now - max(self._last_event, self._idle_at)
            if not self.polling and silent > self._silence_s:
                self.polling = True
                message = (
                    f"user data stream silent for {silent:.1f}s with orders working; "
                    f"polling open orders and account every {self._poll_s:g}s"
                )
                self._report(Severity.WARNING, SafetyKind.USER_STREAM_SILENT, message, {})
                if self._status is not None:
                    self._status.polling(True, f"silent {silent:.0f} s with orders working")
            if self.polling and now - self._last_poll >= self._poll_s:
                self._last_poll = now
                await self._poll_once()

    async def _poll_once(self) -> None:
        self.polls += 1
        try:
            missed = await self._poll()
        except BrokerError as exc:  # Binance unreachable too: try again next period
            log.warning("user data polling failed: %s", exc)
            return
        if missed and self.polling:
            self._restart("polling found events the stream did not deliver")


class UserDataTasks:
    """A broker's user stream and its watchdog, run as named tasks. A task that dies
    is reported at once: fills would go unseen."""

    def __init__(self, stream: UserStream, watch: UserDataWatch, name: str, report: Reporter):
        self.stream, self.watch, self._name, self._report = stream, watch, name, report
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, wait_s: float) -> None:
        """Start both tasks; wait at most `wait_s` for the first subscription (a slow
        one keeps trying in the background, and the watchdog covers the gap)."""
        self._tasks = [
            asyncio.create_task(self.stream.run(), name=f"{self._name}-user-data"),
            asyncio.create_task(self.watch.run(), name=f"{self._name}-user-watch"),
        ]
        for task in self._tasks:
            task.add_done_callback(self._on_done)
        with suppress(TimeoutError):
            await asyncio.wait_for(self.stream.subscribed.wait(), wait_s)

    async def close(self) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        await self.stream.close()

    def _on_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            message = f"{task.get_name()} stopped: {task.exception()!r}; fills may be missed"
            self._report(Severity.CRITICAL, SafetyKind.USER_STREAM_FAILED, message, {})
