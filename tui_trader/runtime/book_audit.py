"""The own-book audit while running: every AUDIT_EVERY_MIN minutes, while an exchange
account is linked, the reconciler compares the trader's open orders, positions and
balances with the venue's. A difference is a safety event, and a blocking one holds the
trading state at REDUCING ("exchange disagrees") until an audit finds the books agree
again. (After a user-stream reconnect the broker runs the same reconciler at once.)"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("tui_trader.runtime.book_audit")


class BookAudit:
    def __init__(
        self,
        reconcile: Callable[[str], Awaitable[None]],
        linked: Callable[[], bool],
        every_min: float,
    ) -> None:
        self._reconcile, self._linked = reconcile, linked
        self.every_s = every_min * 60
        self.audits = 0

    @property
    def enabled(self) -> bool:
        return self.every_s > 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            if self._linked():
                self.audits += 1
                await self._reconcile(f"audit {self.audits}")
