"""Moving averages: rolling mean (SMA) and EMA. O(1) per update, float internally."""

import math
from collections import deque

# A running sum picks up float rounding with every add and subtract; recomputing it from
# the window this often keeps a million-candle backtest exact at O(1) amortized cost.
RESYNC_EVERY = 1024


def require_period(period: int, minimum: int = 1) -> int:
    if isinstance(period, bool) or not isinstance(period, int) or period < minimum:
        raise ValueError(f"period must be an integer >= {minimum}, got {period!r}")
    return period


class RollingMean:
    """Mean of the last `period` values (e.g. volume over N candles).

    Seeding: `update` returns None until `period` values have been seen, then the plain
    mean of the window (TA-Lib's SMA starts at the same point)."""

    __slots__ = ("_period", "_since_resync", "_sum", "_value", "_window")

    def __init__(self, period: int) -> None:
        self._period = require_period(period)
        self._window: deque[float] = deque(maxlen=period)
        self._sum = 0.0
        self._since_resync = 0
        self._value: float | None = None

    @property
    def period(self) -> int:
        return self._period

    @property
    def value(self) -> float | None:
        return self._value

    def reset(self) -> None:
        self._window.clear()
        self._sum = 0.0
        self._since_resync = 0
        self._value = None

    def update(self, value: float) -> float | None:
        window = self._window
        if len(window) == self._period:
            self._sum -= window[0]  # the deque drops it on append
        window.append(value)
        self._sum += value
        if len(window) < self._period:
            return None
        self._since_resync += 1
        if self._since_resync >= RESYNC_EVERY:
            self._sum = math.fsum(window)
            self._since_resync = 0
        self._value = self._sum / self._period
        return self._value


class SMA(RollingMean):
    """Simple moving average of prices: the same arithmetic and seeding as RollingMean,
    named for what it averages at call sites."""

    __slots__ = ()


class EMA:
    """Exponential moving average with alpha = 2 / (period + 1).

    Seeding as TA-Lib: None for the first period-1 updates; the period-th update returns
    the simple mean of the first `period` values; after that value += alpha * (x - value)."""

    __slots__ = ("_alpha", "_count", "_period", "_sum", "_value")

    def __init__(self, period: int) -> None:
        self._period = require_period(period)
        self._alpha = 2.0 / (period + 1)
        self._count = 0
        self._sum = 0.0
        self._value: float | None = None

    @property
    def period(self) -> int:
        return self._period

    @property
    def value(self) -> float | None:
        return self._value

    def reset(self) -> None:
        self._count = 0
        self._sum = 0.0
        self._value = None

    def update(self, value: float) -> float | None:
        current = self._value
        if current is not None:
            current += self._alpha * (value - current)
            self._value = current
            return current
        self._count += 1
        self._sum += value
        if self._count == self._period:
            self._value = self._sum / self._period
        return self._value
