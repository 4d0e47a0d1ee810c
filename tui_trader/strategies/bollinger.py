"""Bollinger re-entry, for ranging markets.

BUY when the previous close was below the previous lower band and this close is back at
or above the current lower band, and the bands are neither too narrow nor too wide:
min_bandwidth_pct <= bandwidth (upper - lower) / middle % <= max_bandwidth_pct (too
narrow, the way back to the middle band cannot pay the fees; too wide means a trend,
where re-entries fail). The 2% floor is the source platform's default; the 4% ceiling
ours.
SELL when the previous close was above the previous upper band and this close is back at
or below the current upper band. Exits are never filtered by bandwidth.

Confidence = 0.5 + 0.5 * max(0, 1 - bandwidth% / max_bandwidth_pct): the narrower the
range, the more a re-entry is expected to revert."""

from typing import Annotated, Self

from pydantic import Field, model_validator

from tui_trader.indicators import Bollinger
from tui_trader.strategies.base import BUY, HOLD, SELL, Bar, Decision, Strategy, StrategyParams

_NO_REENTRY: Decision = (HOLD, 0.0, "hold: no band re-entry", None)


class BollingerParams(StrategyParams):
    period: Annotated[int, Field(ge=2, le=1000)] = 20
    num_std: Annotated[float, Field(gt=0, le=10)] = 2.0
    max_bandwidth_pct: Annotated[float, Field(gt=0, le=100)] = 4.0
    min_bandwidth_pct: Annotated[float, Field(ge=0, le=100)] = 2.0  # the source platform's

    @model_validator(mode="after")
    def _check_band(self) -> Self:
        if self.min_bandwidth_pct >= self.max_bandwidth_pct:
            raise ValueError(
                f"min_bandwidth_pct={self.min_bandwidth_pct}: must be < "
                f"max_bandwidth_pct={self.max_bandwidth_pct}"
            )
        return self


class BollingerStrategy(Strategy):
    name = "bollinger"
    Params = BollingerParams
    params: BollingerParams

    def _setup(self) -> None:
        self._bands = Bollinger(self.params.period, self.params.num_std)
        self._prev: tuple[float, float, float] | None = None  # close, lower, upper
        self._hold_wide: Decision = (
            HOLD,
            0.0,
            f"hold: bandwidth above {self.params.max_bandwidth_pct}%",
            None,
        )
        self._hold_narrow: Decision = (
            HOLD,
            0.0,
            f"hold: bandwidth below {self.params.min_bandwidth_pct}%",
            None,
        )

    @property
    def warmup_period(self) -> int:
        return self.params.period + 1  # a re-entry compares with the previous bands

    def _decide(self, bar: Bar) -> Decision | None:
        close = bar.close
        bands = self._bands
        bands.update(close)
        lower, upper, width = bands.lower, bands.upper, bands.bandwidth
        if lower is None or upper is None or width is None:
            return None
        prev, self._prev = self._prev, (close, lower, upper)
        if prev is None:
            return None
        prev_close, prev_lower, prev_upper = prev
        width_pct = width * 100.0
        confidence = 0.5 + 0.5 * max(0.0, 1.0 - width_pct / self.params.max_bandwidth_pct)
        if prev_close > prev_upper and close <= upper:
            return SELL, confidence, f"sell: back below upper band {upper:.6g}", None
        if prev_close < prev_lower and close >= lower:
            if width_pct > self.params.max_bandwidth_pct:
                return self._hold_wide
            if width_pct < self.params.min_bandwidth_pct:
                return self._hold_narrow
            return BUY, confidence, f"buy: back above lower band {lower:.6g}", None
        return _NO_REENTRY
