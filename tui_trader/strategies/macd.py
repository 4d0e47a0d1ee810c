"""MACD crossover: BUY on the candle the MACD line crosses above its signal line, SELL on
the candle it crosses below. A cross is confirmed by the histogram (MACD - signal)
changing sign from the last non-zero histogram; a mere touch (histogram 0) is not a cross.

Confidence: 0.8 when the cross happens on the side of the zero line that makes it a
reversal (BUY with MACD below 0, SELL with MACD above 0), else 0.6."""

from typing import Annotated, Self

from pydantic import Field, model_validator

from tui_trader.indicators import MACD
from tui_trader.strategies.base import BUY, HOLD, SELL, Bar, Decision, Strategy, StrategyParams
from tui_trader.strategies.crossing import SignFlip

_NO_CROSS: Decision = (HOLD, 0.0, "hold: no MACD cross", None)
Period = Annotated[int, Field(ge=2, le=1000)]


class MacdParams(StrategyParams):
    fast_period: Period = 12
    slow_period: Period = 26
    signal_period: Period = 9

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        if self.fast_period >= self.slow_period:
            raise ValueError(
                f"fast_period={self.fast_period}: must be < slow_period={self.slow_period}"
            )
        return self


class MacdStrategy(Strategy):
    name = "macd"
    Params = MacdParams
    params: MacdParams

    def _setup(self) -> None:
        p = self.params
        self._macd = MACD(p.fast_period, p.slow_period, p.signal_period)
        self._flip = SignFlip()

    @property
    def warmup_period(self) -> int:
        # The histogram first exists on candle slow + signal - 1; a flip needs one more.
        return self.params.slow_period + self.params.signal_period

    def _decide(self, bar: Bar) -> Decision | None:
        macd = self._macd.update(bar.close)
        hist = self._macd.histogram
        if macd is None or hist is None:
            return None
        flip = self._flip.update(hist)
        if flip > 0:
            confidence = 0.8 if macd < 0.0 else 0.6
            return BUY, confidence, f"buy: MACD crossed above signal ({macd:.6g})", None
        if flip < 0:
            confidence = 0.8 if macd > 0.0 else 0.6
            return SELL, confidence, f"sell: MACD crossed below signal ({macd:.6g})", None
        return _NO_CROSS
