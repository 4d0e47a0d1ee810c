"""Range indicators: Wilder's ATR and Bollinger bands, O(1) per update."""

import math
from collections import deque

from tui_trader.indicators.averages import RESYNC_EVERY, require_period


class ATR:
    """Average true range as TA-Lib defines it.

    True range = max(high - low, |high - previous close|, |low - previous close|), so a
    candle only has one once a previous close exists: the first candle just provides that
    close. Seeding: the first ATR (update number period+1) is the simple mean of the first
    `period` true ranges; later atr = (atr * (period - 1) + tr) / period (Wilder)."""

    __slots__ = ("_count", "_period", "_prev_close", "_sum", "_value")

    def __init__(self, period: int = 14) -> None:
        self._period = require_period(period)
        self.reset()

    @property
    def period(self) -> int:
        return self._period

    @property
    def value(self) -> float | None:
        return self._value

    def reset(self) -> None:
        self._prev_close: float | None = None
        self._count = 0
        self._sum = 0.0
        self._value: float | None = None

    def update(self, high: float, low: float, close: float) -> float | None:
        prev = self._prev_close
        self._prev_close = close
        if prev is None:
            return None
        tr = max(high - low, abs(high - prev), abs(low - prev))
        current = self._value
        if current is not None:
            current = (current * (self._period - 1) + tr) / self._period
            self._value = current
            return current
        self._count += 1
        self._sum += tr
        if self._count == self._period:
            self._value = self._sum / self._period
        return self._value


class Bollinger:
    """Bollinger bands: SMA(period) ± num_std * population standard deviation (TA-Lib's
    BBANDS with an SMA). Seeding: None until `period` closes; `update` returns the middle
    band and `upper`, `lower`, `bandwidth` follow.

    O(1): the window mean and sum of squared deviations are updated as a value enters and
    one leaves (Welford's update for a sliding window), which avoids the cancellation of a
    plain sum of squares at large prices; both are recomputed from the window now and then
    so rounding cannot accumulate."""

    __slots__ = (
        "_lower",
        "_m2",
        "_mean",
        "_num_std",
        "_period",
        "_since_resync",
        "_upper",
        "_window",
    )

    def __init__(self, period: int = 20, num_std: float = 2.0) -> None:
        self._period = require_period(period)
        if not num_std > 0:
            raise ValueError(f"num_std must be > 0, got {num_std!r}")
        self._num_std = num_std
        self._window: deque[float] = deque(maxlen=period)
        self.reset()

    def reset(self) -> None:
        self._window.clear()
        self._mean = 0.0
        self._m2 = 0.0
        self._since_resync = 0
        self._upper: float | None = None
        self._lower: float | None = None

    @property
    def value(self) -> float | None:
        return self.middle

    @property
    def middle(self) -> float | None:
        return self._mean if self._upper is not None else None

    @property
    def upper(self) -> float | None:
        return self._upper

    @property
    def lower(self) -> float | None:
        return self._lower

    @property
    def bandwidth(self) -> float | None:
        """(upper - lower) / middle, as a fraction (0.04 = 4 %)."""
        if self._upper is None or self._lower is None or self._mean == 0.0:
            return None
        return (self._upper - self._lower) / self._mean

    def update(self, close: float) -> float | None:
        window = self._window
        if len(window) < self._period:
            window.append(close)
            delta = close - self._mean
            self._mean += delta / len(window)
            self._m2 += delta * (close - self._mean)
            if len(window) < self._period:
                return None
        else:
            old = window[0]
            window.append(close)  # drops `old`
            mean = self._mean + (close - old) / self._period
            self._m2 += (close - old) * (close - mean + old - self._mean)
            self._mean = mean
            self._resync_now_and_then()
        std = math.sqrt(max(self._m2, 0.0) / self._period)
        self._upper = self._mean + self._num_std * std
        self._lower = self._mean - self._num_std * std
        return self._mean

    def _resync_now_and_then(self) -> None:
        self._since_resync += 1
        if self._since_resync >= RESYNC_EVERY:
            self._since_resync = 0
            self._mean = math.fsum(self._window) / self._period
            self._m2 = math.fsum((x - self._mean) ** 2 for x in self._window)
