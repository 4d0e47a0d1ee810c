"""Injected clocks: the core never reads the wall clock itself."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock the caller moves: feeds and tests set it to the event time."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start time")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when > self._now:
            self._now = when

    def advance(self, delta: timedelta) -> None:
        self._now += delta


_DAY = timedelta(days=1)
_day_cache: tuple[datetime, datetime] = (
    datetime.max.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
)


def utc_day_start(ts: datetime) -> datetime:
    """00:00 UTC of `ts`'s day. Called several times per market event, so the current
    day's bounds are cached: two comparisons instead of a conversion and a replace."""
    global _day_cache
    start, end = _day_cache
    if start <= ts < end:
        return start
    start = ts.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    _day_cache = (start, start + _DAY)
    return start


def ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def dt_to_ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)
