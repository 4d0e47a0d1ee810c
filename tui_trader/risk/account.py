"""The account figures the risk checks read besides the portfolio: the equity at the start
of the current UTC day (the daily loss limit compares with it) and the equity peak
(drawdown). Sampled by the core per candle and per fill: marking the whole portfolio on
every tick would cost more than the rest of the tick."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from tui_trader.clock import utc_day_start

ZERO = Decimal(0)


class AccountTracker:
    """Start-of-day equity and the equity high-water mark.

    `track_peak=False` (the backtester: nothing decides on the peak) computes equity only
    when a new UTC day begins."""

    def __init__(self, track_peak: bool = True) -> None:
        self._track_peak = track_peak
        self.peak = ZERO
        self.day_start = ZERO
        self.day: datetime | None = None

    def reset(self) -> None:
        """Another account from now on: its own start of day and peak."""
        self.peak, self.day_start, self.day = ZERO, ZERO, None

    def update(self, equity: Callable[[], Decimal], ts: datetime) -> bool:
        """Sample `equity()` at `ts`; True when a new UTC day began (day_start reset).
        Only forward: a backfill replaying 23:59 after 00:01 must not reset the day."""
        day = utc_day_start(ts)
        new_day = self.day is None or day > self.day
        if not (new_day or self._track_peak):
            return False
        value = equity()
        self.peak = max(self.peak, value)
        if new_day:
            self.day, self.day_start = day, value
        return new_day

    def restore(self, day: datetime, day_start: Decimal) -> None:
        """The journaled start of day after a restart: the daily loss limit carries on."""
        self.day, self.day_start = day, day_start

    def as_meta(self) -> str:
        """The start of day as the journal keeps it (`restore.py` reads it back)."""
        day = self.day.isoformat() if self.day else ""
        return f"{day}|{self.day_start}"
