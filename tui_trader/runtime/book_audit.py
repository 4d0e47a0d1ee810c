"""The own-book audit while running: every AUDIT_EVERY_MIN minutes, while an exchange
account is linked, the reconciler compares the trader's open orders, positions and
balances with the venue's. A difference is a safety event, and a blocking one holds the
trading state at REDUCING ("exchange disagrees") until an audit finds the books agree
again. (After a user-stream reconnect the broker runs the same reconciler at once.)"""

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tui_trader.clock import Clock
from tui_trader.runtime.schedules import next_aligned, sleep_until

log = logging.getLogger("tui_trader.runtime.book_audit")


class BookAudit:
    def __init__(
        self,
        reconcile: Callable[[str], Awaitable[None]],
        linked: Callable[[], bool],
        every_min: float,
        clock: Clock,
    ) -> None:
        self._reconcile, self._linked, self._clock = reconcile, linked, clock
        self.every_s = every_min * 60
        self.audits = 0

    @property
    def enabled(self) -> bool:
        return self.every_s > 0

    async def run(self) -> None:
        """At every aligned time (AUDIT_EVERY_MIN=5: :00, :05, :10, ... of the clock)."""
        every = timedelta(seconds=self.every_s)
        while True:
            await sleep_until(self._clock, next_aligned(self._clock.now(), every))
            if self._linked():
                self.audits += 1
                await self._reconcile(f"audit {self.audits}")
