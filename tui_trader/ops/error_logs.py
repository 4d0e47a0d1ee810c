"""Every ERROR log line of the trader is counted (`tui_trader_errors_total` by component)
and, with NOTIFY_ERROR_LOGS, sent to the notification channels: at most
NOTIFY_ERROR_LOGS_PER_HOUR an hour, the rest counted and said in one line when the hour
turns, so a failing loop never floods a phone.

Log records can come from any thread (the journal's writer thread logs too), so the
handler only counts and queues; the relay task on the event loop does the sending."""

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress

from tui_trader.ops.log_format import ROOT_LOGGER, component_of
from tui_trader.ops.metrics import TraderMetrics
from tui_trader.secrets.redact import default_redactor
from tui_trader.text_safety import printable

HOUR_S = 3600.0
MESSAGE_CHARS = 300


class ErrorLogRelay:
    def __init__(
        self,
        metrics: TraderMetrics,
        send: Callable[[str], None] | None,
        *,
        per_hour: int,
        hour_s: float = HOUR_S,
    ) -> None:
        self._metrics, self._send = metrics, send
        self._per_hour, self._hour_s = per_hour, hour_s
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self._window_start = 0.0
        self._sent = self._suppressed = 0

    async def run(self) -> None:
        """The edge task: attached to the trader's loggers while it runs."""
        loop = asyncio.get_running_loop()
        handler = _Handler(self._metrics, loop, self._queue, queueing=self._send is not None)
        logger = logging.getLogger(ROOT_LOGGER)
        logger.addHandler(handler)
        try:
            while True:
                line = await self._queue.get()
                self._relay(line, loop.time())
        finally:
            logger.removeHandler(handler)

    def _relay(self, line: str, now: float) -> None:
        if self._send is None:
            return
        if now - self._window_start >= self._hour_s:
            if self._suppressed:
                self._send(
                    f"{self._suppressed} more ERROR log lines in the last hour (see the log)"
                )
            self._window_start, self._sent, self._suppressed = now, 0, 0
        if self._sent < self._per_hour:
            self._sent += 1
            self._send(line)
        else:
            self._suppressed += 1


class _Handler(logging.Handler):
    def __init__(
        self,
        metrics: TraderMetrics,
        loop: asyncio.AbstractEventLoop,
        queue: asyncio.Queue[str],
        *,
        queueing: bool,
    ) -> None:
        super().__init__(level=logging.ERROR)
        self._metrics, self._loop, self._queue, self._queueing = metrics, loop, queue, queueing

    def emit(self, record: logging.LogRecord) -> None:
        try:
            component = component_of(record)
            self._metrics.count_error(component)
            if not self._queueing:
                return
            text = default_redactor().redact(record.getMessage())
            line = f"ERROR {component}: {printable(text, MESSAGE_CHARS)}"
            with suppress(RuntimeError):  # the loop closed: the process is ending
                self._loop.call_soon_threadsafe(self._put, line)
        except Exception:  # a log handler must never raise into the code that logs
            self.handleError(record)

    def _put(self, line: str) -> None:
        with suppress(asyncio.QueueFull):  # a flood is dropped here, counted above
            self._queue.put_nowait(line)
