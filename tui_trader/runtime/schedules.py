"""Interval schedules aligned to the wall clock: a job every 15 minutes runs at :00, :15,
:30 and :45 whenever the trader started, and a slow run never shifts the next one
(no drift, no jitter). The book audit and the LLM's scheduled decisions use them."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tui_trader.clock import Clock

log = logging.getLogger("tui_trader.runtime.schedules")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MAX_NAP_S = 60.0  # re-read the clock at least this often: it may be set while waiting


def next_aligned(now: datetime, every: timedelta) -> datetime:
    """The first whole multiple of `every` since the epoch strictly after `now`."""
    step = every // MICROSECOND
    if step <= 0:
        raise ValueError(f"a schedule needs a positive interval, got {every}")
    elapsed = (now - EPOCH) // MICROSECOND
    return EPOCH + MICROSECOND * ((elapsed // step + 1) * step)


async def sleep_until(clock: Clock, when: datetime) -> None:
    """Wait until `clock` reads `when` or later; never fires early, also when the clock
    is set back or forward while waiting."""
    # Polling, not an Event: the clock itself is what is waited on.
    while (left := (when - clock.now()).total_seconds()) > 0:  # noqa: ASYNC110
        await asyncio.sleep(min(left, MAX_NAP_S))


class Schedule:
    """Runs `job` at every aligned time; a failing run is reported and the next one
    still comes on time."""

    def __init__(
        self,
        name: str,
        every: timedelta,
        job: Callable[[], Awaitable[None]],
        clock: Clock,
        report: Callable[[str], None],
    ) -> None:
        next_aligned(clock.now(), every)  # a bad interval fails here, not in the task
        self.name, self.every, self._job = name, every, job
        self._clock, self._report = clock, report
        self.runs = 0

    async def run(self) -> None:
        while True:
            await sleep_until(self._clock, next_aligned(self._clock.now(), self.every))
            self.runs += 1
            try:
                await self._job()
            except Exception as exc:  # the schedule outlives a failed run
                log.exception("scheduled %s failed", self.name)
                self._report(f"scheduled {self.name} failed: {type(exc).__name__}: {exc}")
