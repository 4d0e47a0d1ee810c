"""VWAP mean reversion, VWAP reset at 00:00 UTC.

BUY when close <= VWAP * (1 - deviation_pct / 100) (stretched below the day's average
price). SELL on the candle the close crosses back up to VWAP * (1 + exit_pct / 100) (the
reversion is done). A session VWAP over a few candles is noise, so no signal is given
until the current UTC session has `session_warmup` candles (>= 30): the first session
shows the usual "warming up (n/N)", later ones "VWAP session warming up (n/N)".

Confidence: BUY = 0.5 + 0.5 * min(1, (deviation% - deviation_pct) / deviation_pct), deeper
is stronger; SELL = 0.8."""

from typing import Annotated

from pydantic import Field

from tui_trader.indicators import VWAP
from tui_trader.strategies.base import (
    BUY,
    HOLD,
    SELL,
    US_PER_DAY,
    Bar,
    Decision,
    Strategy,
    StrategyParams,
)

_NEAR: Decision = (HOLD, 0.0, "hold: close near VWAP", None)


class VwapParams(StrategyParams):
    deviation_pct: Annotated[float, Field(gt=0, le=50)] = 0.2  # the source platform's
    exit_pct: Annotated[float, Field(ge=0, le=50)] = 0.0
    session_warmup: Annotated[int, Field(ge=30, le=10000)] = 30


class VwapStrategy(Strategy):
    name = "vwap"
    Params = VwapParams
    params: VwapParams

    def _setup(self) -> None:
        self._vwap = VWAP()
        self._below_exit = False  # was the previous close below the exit level?

    @property
    def warmup_period(self) -> int:
        return self.params.session_warmup

    def _decide(self, bar: Bar) -> Decision | None:
        close = bar.close
        vwap = self._vwap.update_day(
            bar.high, bar.low, close, bar.volume, bar.open_us // US_PER_DAY
        )
        session = self._vwap.session_candles
        p = self.params
        if session == 1:
            self._below_exit = False  # a new session: yesterday's level means nothing
        if vwap is None:
            return None
        exit_level = vwap * (1.0 + p.exit_pct / 100.0)
        was_below, self._below_exit = self._below_exit, close < exit_level
        if session < p.session_warmup:
            reason = f"hold: VWAP session warming up ({session}/{p.session_warmup})"
            return HOLD, 0.0, reason, None
        deviation = (vwap - close) / vwap * 100.0
        if deviation >= p.deviation_pct:
            confidence = 0.5 + 0.5 * min(1.0, (deviation - p.deviation_pct) / p.deviation_pct)
            reason = f"buy: close {deviation:.2f}% below VWAP {vwap:.6g}"
            return BUY, confidence, reason, None
        if was_below and close >= exit_level:
            return SELL, 0.8, f"sell: close back at VWAP {vwap:.6g}", None
        return _NEAR
