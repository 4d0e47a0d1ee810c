"""Volume-weighted indicators: session VWAP and a rolling volume profile."""

import math
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from tui_trader.indicators.averages import require_period

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = timedelta(days=1)


class VWAP:
    """Session VWAP = sum(typical * volume) / sum(volume), typical = (high + low + close) / 3.

    The session is the UTC day: the sums restart when a candle's `open_time` falls on a
    later UTC day than the previous candle's (so 23:59 and 00:00 candles split correctly
    whatever the interval). Seeding: None until the session has seen some volume."""

    __slots__ = ("_day", "_pv", "_session_candles", "_value", "_volume")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._day: int | None = None
        self._pv = 0.0
        self._volume = 0.0
        self._session_candles = 0
        self._value: float | None = None

    @property
    def value(self) -> float | None:
        return self._value

    @property
    def session_candles(self) -> int:
        """Candles seen since the last 00:00 UTC reset (or since the start)."""
        return self._session_candles

    def update(
        self, high: float, low: float, close: float, volume: float, open_time: datetime
    ) -> float | None:
        if open_time.tzinfo is None:
            raise ValueError("VWAP needs a timezone-aware open_time")
        # Whole days since the epoch in integer arithmetic (a float timestamp could round
        # the last microsecond of a day into the next).
        return self.update_day(high, low, close, volume, (open_time - _EPOCH) // _DAY)

    def update_day(
        self, high: float, low: float, close: float, volume: float, day: int
    ) -> float | None:
        """`update` for a candle opened on UTC day `day` (days since the epoch)."""
        if day != self._day:
            self._day = day
            self._pv = 0.0
            self._volume = 0.0
            self._session_candles = 0
            self._value = None
        self._session_candles += 1
        self._pv += (high + low + close) / 3.0 * volume
        self._volume += volume
        if self._volume > 0.0:
            self._value = self._pv / self._volume
        return self._value


def check_value_area_pct(value_area_pct: float) -> float:
    if not 0 < value_area_pct <= 100:
        raise ValueError(f"value_area_pct must be in (0, 100], got {value_area_pct!r}")
    return value_area_pct


class ProfileLevels:
    """What a volume profile tells: its POC and value area (None until it has them)."""

    __slots__ = ("_area", "_poc")

    def __init__(self) -> None:
        self._poc: float | None = None
        self._area: tuple[float, float] | None = None

    @property
    def value(self) -> float | None:
        return self._poc

    @property
    def poc(self) -> float | None:
        return self._poc

    @property
    def value_area_low(self) -> float | None:
        return self._area[0] if self._area is not None else None

    @property
    def value_area_high(self) -> float | None:
        return self._area[1] if self._area is not None else None


class VolumeProfile(ProfileLevels):
    """Volume by price over the last `period` candles, with its POC and value area.

    Each candle's whole volume goes to the bin holding its typical price
    (high + low + close) / 3. Bins have fixed edges, `bin_pct` percent of the first typical
    price wide, so a candle leaving the window is taken out of exactly the bin it went into
    (O(1) bookkeeping). POC = centre of the bin with the most volume (the lower one on a
    tie). Value area: start from the POC bin and keep adding the neighbouring bin (above or
    below) holding more volume, above on a tie, until `value_area_pct` percent of the
    window's volume is inside; `value_area_low` / `value_area_high` are its outer edges.
    That search walks the bins between the window's lowest and highest price, so its cost
    depends on the price range in bins, not on `period`.

    Seeding: `update` returns the POC once `period` candles are in the window, and None
    before that or while the window holds no volume at all."""

    __slots__ = ("_bin_pct", "_counts", "_period", "_value_area_pct", "_volumes", "_width",
                 "_window")  # fmt: skip

    def __init__(self, period: int, bin_pct: float = 0.1, value_area_pct: float = 70.0) -> None:
        super().__init__()
        self._period = require_period(period)
        if not 0 < bin_pct <= 100:
            raise ValueError(f"bin_pct must be in (0, 100], got {bin_pct!r}")
        self._bin_pct = bin_pct
        self._value_area_pct = check_value_area_pct(value_area_pct)
        self._window: deque[tuple[int, float]] = deque()
        self._volumes: dict[int, float] = {}
        self._counts: dict[int, int] = {}
        self.reset()

    def reset(self) -> None:
        self._window.clear()
        self._volumes.clear()
        self._counts.clear()
        self._width = 0.0
        self._poc = None
        self._area = None

    @property
    def bin_width(self) -> float:
        return self._width

    def update(self, high: float, low: float, close: float, volume: float) -> float | None:
        typical = (high + low + close) / 3.0
        if self._width == 0.0:
            if typical <= 0.0:
                raise ValueError(f"VolumeProfile needs positive prices, got {typical!r}")
            self._width = typical * self._bin_pct / 100.0
        index = math.floor(typical / self._width)
        self._window.append((index, volume))
        self._volumes[index] = self._volumes.get(index, 0.0) + volume
        self._counts[index] = self._counts.get(index, 0) + 1
        if len(self._window) > self._period:
            self._remove(*self._window.popleft())
        if len(self._window) < self._period:
            return None
        self._recompute()
        return self._poc

    def _remove(self, index: int, volume: float) -> None:
        left = self._counts[index] - 1
        if left:
            self._counts[index] = left
            self._volumes[index] -= volume
        else:  # dropping the bin also drops any rounding residue in it
            del self._counts[index]
            del self._volumes[index]

    def _recompute(self) -> None:
        volumes = self._volumes
        total = math.fsum(volumes.values())
        if total <= 0.0:
            self._poc = None
            self._area = None
            return
        poc = min(volumes, key=lambda i: (-volumes[i], i))
        target = total * self._value_area_pct / 100.0
        low, high = value_area(volumes, poc, min(volumes), max(volumes), target)
        self._poc = (poc + 0.5) * self._width
        self._area = (low * self._width, (high + 1) * self._width)


def value_area(
    volumes: Mapping[int, float], poc: int, first: int, last: int, target: float
) -> tuple[int, int]:
    """The bins [low, high] of the value area: from the POC bin, keep adding the
    neighbouring bin (above or below, within first..last) holding more volume, above on
    a tie, until `target` volume is inside. A bin missing from `volumes` holds none."""
    low = high = poc
    inside = volumes[poc]
    while inside < target and (low > first or high < last):
        above = volumes.get(high + 1, 0.0) if high < last else -1.0
        below = volumes.get(low - 1, 0.0) if low > first else -1.0
        if above >= below:
            high += 1
            inside += max(above, 0.0)
        else:
            low -= 1
            inside += below
    return low, high
