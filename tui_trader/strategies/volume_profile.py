"""Volume profile: trade the edges of the value area of the last `period` candles.

The profile is the source platform's by default: 100 candles, their price range cut into
`bins` = 50 equal bins (indicators/range_profile.py). With `bin_pct` instead, bins have
fixed edges `bin_pct` % of the first price wide (indicators/volume.py), which costs O(1)
per candle however long the window.

The profile (POC, value area low/high) is that of the `period` candles BEFORE the current
one, so a candle is judged against levels it did not move.
BUY on a bounce off the value-area low: this candle's low <= VAL and its close > VAL.
SELL on reaching the value-area high: this candle's high >= VAH while the previous close
was below it. SELL wins if both happen.

Confidence: BUY = 0.5 + 0.5 * min(1, (POC - close) / (POC - VAL)) (room left to the POC,
0.5 when none); SELL = 0.7."""

from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from tui_trader.indicators import VolumeProfile
from tui_trader.indicators.range_profile import RangeVolumeProfile
from tui_trader.strategies.base import BUY, HOLD, SELL, Bar, Decision, Strategy, StrategyParams

_INSIDE: Decision = (HOLD, 0.0, "hold: inside the value area", None)


class VolumeProfileParams(StrategyParams):
    period: Annotated[int, Field(ge=5, le=10000)] = 100
    bins: Annotated[int, Field(ge=2, le=1000)] | None = 50
    bin_pct: Annotated[float, Field(gt=0, le=10)] | None = None
    value_area_pct: Annotated[float, Field(gt=0, le=100)] = 70.0

    @model_validator(mode="before")
    @classmethod
    def _one_binning(cls, data: Any) -> Any:
        """`bin_pct` alone switches to fixed-width bins (no need to clear `bins` too)."""
        if isinstance(data, dict) and data.get("bin_pct") is not None and "bins" not in data:
            return {**data, "bins": None}
        return data

    @model_validator(mode="after")
    def _check_binning(self) -> Self:
        if (self.bins is None) == (self.bin_pct is None):
            raise ValueError(
                f"bins={self.bins}, bin_pct={self.bin_pct}: set exactly one "
                "(bins across the window's range, or bins bin_pct % wide)"
            )
        return self


class VolumeProfileStrategy(Strategy):
    name = "volume_profile"
    Params = VolumeProfileParams
    params: VolumeProfileParams

    def _setup(self) -> None:
        p = self.params
        self._profile: VolumeProfile | RangeVolumeProfile = (
            RangeVolumeProfile(p.period, p.bins, p.value_area_pct)
            if p.bins is not None
            else VolumeProfile(p.period, p.bin_pct or 0.0, p.value_area_pct)
        )
        self._prev_close = float("inf")  # nothing was below the VAH before the first candle

    @property
    def warmup_period(self) -> int:
        return self.params.period + 1  # a full profile of earlier candles, then this one

    def _decide(self, bar: Bar) -> Decision | None:
        profile = self._profile
        poc, val, vah = profile.poc, profile.value_area_low, profile.value_area_high
        high, low, close = bar.high, bar.low, bar.close
        profile.update(high, low, close, bar.volume)
        prev_close, self._prev_close = self._prev_close, close
        if poc is None or val is None or vah is None:
            return None
        if high >= vah > prev_close:
            return SELL, 0.7, f"sell: reached value-area high {vah:.6g}", None
        if low <= val < close:
            room = (poc - close) / (poc - val) if poc > val else 0.0
            confidence = 0.5 + 0.5 * min(1.0, max(0.0, room))
            return BUY, confidence, f"buy: bounced off value-area low {val:.6g}", None
        return _INSIDE
