"""EMA crossover: BUY on the candle the fast EMA crosses above the slow EMA, SELL on the
candle it crosses below; HOLD on every other candle.

Confidence = 0.5 + 0.5 * min(1, |fast - slow| / slow * 100 / 0.5): a cross that opens a
wide gap at once is a stronger one."""

from typing import Annotated, Self

from pydantic import Field, model_validator

from tui_trader.indicators import EMA
from tui_trader.strategies.base import BUY, HOLD, SELL, Bar, Decision, Strategy, StrategyParams
from tui_trader.strategies.crossing import SignFlip

FULL_SEPARATION_PCT = 0.5
_NO_CROSS: Decision = (HOLD, 0.0, "hold: no EMA cross", None)


class EmaCrossParams(StrategyParams):
    fast_period: Annotated[int, Field(ge=2, le=1000)] = 9
    slow_period: Annotated[int, Field(ge=3, le=1000)] = 21

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        if self.fast_period >= self.slow_period:
            raise ValueError(
                f"fast_period={self.fast_period}: must be < slow_period={self.slow_period}"
            )
        return self


class EmaCrossStrategy(Strategy):
    name = "ema_cross"
    Params = EmaCrossParams
    params: EmaCrossParams

    def _setup(self) -> None:
        self._fast = EMA(self.params.fast_period)
        self._slow = EMA(self.params.slow_period)
        self._flip = SignFlip()

    @property
    def warmup_period(self) -> int:
        return self.params.slow_period + 1  # one candle with both EMAs, then a cross

    def _decide(self, bar: Bar) -> Decision | None:
        close = bar.close
        fast = self._fast.update(close)
        slow = self._slow.update(close)
        if fast is None or slow is None:
            return None
        flip = self._flip.update(fast - slow)
        if flip == 0:
            return _NO_CROSS
        gap = abs(fast - slow) / slow * 100.0
        confidence = 0.5 + 0.5 * min(1.0, gap / FULL_SEPARATION_PCT)
        if flip > 0:
            return BUY, confidence, f"buy: EMA {fast:.6g} crossed above {slow:.6g}", None
        return SELL, confidence, f"sell: EMA {fast:.6g} crossed below {slow:.6g}", None
