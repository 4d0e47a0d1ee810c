"""BalanceWatch: balances a venue tells on its own (Upbit's myAsset stream) checked
against the trader's book once they have settled.

A venue reports a holding's change at the moment it happens, often just before the
order event that explains it (a fill) has reached the book. So reports are gathered
and checked `settle_s` after the first of them, with the latest figure per asset: by
then our own fills are booked, and a difference left is a change we did not make (a
deposit, a withdrawal, a trade placed elsewhere) or an order event we missed. What to
do with one is the check's business (the reconciler's `check_reported`)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress

from tui_trader.domain.portfolio import Balance

log = logging.getLogger(__name__)
BalanceCheck = Callable[[dict[str, Balance]], Awaitable[object]]


class BalanceWatch:
    def __init__(self, settle_s: float = 2.0) -> None:
        self._settle_s = settle_s
        self._check: BalanceCheck | None = None
        self._pending: dict[str, Balance] = {}
        self._task: asyncio.Task[None] | None = None
        self.checks = 0

    def check_with(self, check: BalanceCheck) -> None:
        self._check = check

    def report(self, balances: Mapping[str, Balance]) -> None:
        """The venue holds `balances` now (only the assets that changed)."""
        if self._check is None:  # no book to compare with yet (before live start)
            return
        self._pending.update(balances)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._settle(), name="balance-watch")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _settle(self) -> None:
        await asyncio.sleep(self._settle_s)
        reported, self._pending = self._pending, {}
        assert self._check is not None
        self.checks += 1
        try:
            await self._check(reported)
        except Exception:  # a failing check must not end the watch: the audit still runs
            log.exception("checking the balances the venue reported failed")
