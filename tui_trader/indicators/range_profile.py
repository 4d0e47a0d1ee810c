"""A volume profile over a fixed number of bins spanning the window's price range.

The source platform's profile: the last `period` candles, their range (lowest low to
highest high) cut into `bins` equal bins, each candle's whole volume in the bin of its
typical price (high + low + close) / 3 (the top edge belongs to the last bin). POC and
value area as `VolumeProfile` defines them (the same walk, `value_area`). The bins move
with the range, so each update rebuilds the histogram: O(period + bins) per candle.

Seeding: `update` returns the POC once `period` candles are in the window, and None
before that or while the window holds no volume at all."""

import math
from collections import deque

from tui_trader.indicators.averages import require_period
from tui_trader.indicators.volume import ProfileLevels, check_value_area_pct, value_area


class RangeVolumeProfile(ProfileLevels):
    __slots__ = ("_bins", "_period", "_value_area_pct", "_window")

    def __init__(self, period: int, bins: int = 50, value_area_pct: float = 70.0) -> None:
        super().__init__()
        self._period = require_period(period)
        if not 1 <= bins <= 10_000:
            raise ValueError(f"bins must be in [1, 10000], got {bins!r}")
        self._bins = bins
        self._value_area_pct = check_value_area_pct(value_area_pct)
        self._window: deque[tuple[float, float, float, float]] = deque(maxlen=period)

    def reset(self) -> None:
        self._window.clear()
        self._poc = self._area = None

    def update(self, high: float, low: float, close: float, volume: float) -> float | None:
        self._window.append((high, low, (high + low + close) / 3.0, volume))
        if len(self._window) < self._period:
            return None
        self._recompute()
        return self._poc

    def _recompute(self) -> None:
        window = self._window
        bottom = min(candle[1] for candle in window)
        top = max(candle[0] for candle in window)
        width = (top - bottom) / self._bins
        last = self._bins - 1
        volumes: dict[int, float] = {}
        for _high, _low, typical, volume in window:
            index = min(last, math.floor((typical - bottom) / width)) if width > 0 else 0
            volumes[index] = volumes.get(index, 0.0) + volume
        total = math.fsum(volumes.values())
        if total <= 0.0:
            self._poc = self._area = None
            return
        poc = min(volumes, key=lambda i: (-volumes[i], i))
        target = total * self._value_area_pct / 100.0
        first, end = value_area(volumes, poc, 0, last, target)
        self._poc = bottom + (poc + 0.5) * width
        self._area = (bottom + first * width, bottom + (end + 1) * width)
