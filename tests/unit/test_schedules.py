"""Clock-aligned schedules: the next whole multiple of the interval since the epoch,
never early, never drifting; a failing run is reported and the next one still comes."""

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from tui_trader.clock import SystemClock
from tui_trader.runtime.schedules import Schedule, next_aligned


def test_a_15_minute_schedule_fires_at_the_quarter_hours() -> None:
    every = timedelta(minutes=15)
    assert next_aligned(datetime(2026, 12, 2, 9, 7, 31, tzinfo=UTC), every) == datetime(
        2026, 12, 2, 9, 15, tzinfo=UTC
    )
    # On a boundary: the next one, not this one (a run never repeats its own time).
    assert next_aligned(datetime(2026, 12, 2, 9, 15, tzinfo=UTC), every) == datetime(
        2026, 12, 2, 9, 30, tzinfo=UTC
    )


def test_a_weekly_schedule_is_aligned_to_the_epoch_week() -> None:
    fire = next_aligned(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), timedelta(days=7))
    assert fire == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # the epoch began on a Thursday
    assert fire.weekday() == 3


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="positive interval"):
        next_aligned(datetime(2026, 12, 2, tzinfo=UTC), timedelta(0))


async def test_runs_keep_their_times_and_a_failure_is_said_and_survived() -> None:
    fired: list[datetime] = []
    said: list[str] = []
    clock = SystemClock()
    every = timedelta(milliseconds=100)

    async def job() -> None:
        fired.append(clock.now())
        if len(fired) == 2:
            raise RuntimeError("boom")

    schedule = Schedule("test", every, job, clock, said.append)
    task = asyncio.ensure_future(schedule.run())
    try:
        async with asyncio.timeout(3):
            while len(fired) < 4:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
    assert said == ["scheduled test failed: RuntimeError: boom"]
    slots = {int(at.timestamp() * 10) for at in fired}  # 100 ms slots since the epoch
    assert len(slots) == len(fired)  # one run per aligned time, none repeated
    assert all(b - a >= every * 0.9 for a, b in itertools.pairwise(fired))
