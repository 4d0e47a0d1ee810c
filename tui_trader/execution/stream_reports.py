"""What a venue's order stream (Upbit's myOrder, Alpaca's trade_updates) tells the
operator, the same way for every venue: a skipped frame is counted and said at most
every BAD_REPORT_EVERY_S (garbage cannot flood the journal); a refused key is said once
until the stream is up again (polling carries the fills meanwhile); and a broken safety
listener never ends the stream."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from tui_trader.clock import Clock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind, tell
from tui_trader.execution.order_stream import OrderStreamStatus

log = logging.getLogger(__name__)
BAD_REPORT_EVERY_S = 10.0
SafetyListener = Callable[[SafetyEvent], None]
UpListener = Callable[[], Awaitable[None]]


class StreamReports:
    def __init__(
        self,
        name: str,
        refused_as: str,
        counts: dict[str, int],
        *,
        clock: Clock,
        on_safety: SafetyListener | None,
    ) -> None:
        """`name` starts a skipped frame's message ("Upbit private stream"); `refused_as`
        a refusal's ("Upbit refused the private stream"); `counts` is the stream's own,
        whose "bad_frames" this counts."""
        self._name, self._refused_as, self._counts = name, refused_as, counts
        self._clock, self._on_safety = clock, on_safety
        self._bad_reported = -BAD_REPORT_EVERY_S
        self._refusal_reported = False

    def bad(self, why: str) -> None:
        self._counts["bad_frames"] = count = self._counts.get("bad_frames", 0) + 1
        now = asyncio.get_running_loop().time()
        if now - self._bad_reported >= BAD_REPORT_EVERY_S:
            self._bad_reported = now
            message = f"{self._name}: frame skipped ({count} so far): {why}"
            self.safety(Severity.WARNING, SafetyKind.BAD_USER_EVENT, message)

    def refused(self, why: str) -> None:
        if not self._refusal_reported:
            self._refusal_reported = True
            message = f"{self._refused_as} ({why}): fills come from polling"
            self.safety(Severity.WARNING, SafetyKind.EXCHANGE_KEYS, message)

    async def serving(self, status: OrderStreamStatus, on_up: UpListener) -> None:
        """A (re)connection listens: counted, shown connected, caught up by `on_up` (what
        happened while it was down comes from REST), then streaming. A later refusal is
        news again."""
        self._refusal_reported = False
        self._counts["connects"] = self._counts.get("connects", 0) + 1
        status.connected()
        await on_up()
        status.caught_up()

    def safety(self, severity: Severity, kind: SafetyKind, message: str) -> None:
        tell(self._on_safety, SafetyEvent(self._clock.now(), severity, kind, message))
