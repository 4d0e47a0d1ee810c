"""RSI levels: BUY while RSI < oversold, SELL while RSI > overbought.

Confidence grows with the distance into the zone:
BUY = 0.5 + 0.5 * (oversold - RSI) / oversold; SELL = 0.5 + 0.5 * (RSI - overbought) /
(100 - overbought)."""

from typing import Annotated, Self

from pydantic import Field, model_validator

from tui_trader.indicators import RSI
from tui_trader.strategies.base import BUY, HOLD, SELL, Bar, Decision, Strategy, StrategyParams


class RsiParams(StrategyParams):
    period: Annotated[int, Field(ge=2, le=1000)] = 14
    oversold: Annotated[float, Field(gt=0, lt=100)] = 30.0
    overbought: Annotated[float, Field(gt=0, lt=100)] = 70.0

    @model_validator(mode="after")
    def _check_levels(self) -> Self:
        if self.oversold >= self.overbought:
            raise ValueError(f"oversold={self.oversold}: must be < overbought={self.overbought}")
        return self


class RsiStrategy(Strategy):
    name = "rsi"
    Params = RsiParams
    params: RsiParams

    def _setup(self) -> None:
        self._rsi = RSI(self.params.period)
        self._hold: Decision = (
            HOLD,
            0.0,
            f"hold: RSI within [{self.params.oversold}, {self.params.overbought}]",
            None,
        )

    @property
    def warmup_period(self) -> int:
        return self.params.period + 1

    def _decide(self, bar: Bar) -> Decision | None:
        rsi = self._rsi.update(bar.close)
        if rsi is None:
            return None
        p = self.params
        if rsi > p.overbought:
            confidence = 0.5 + 0.5 * (rsi - p.overbought) / (100.0 - p.overbought)
            return SELL, confidence, f"sell: RSI {rsi:.1f} > {p.overbought}", None
        if rsi < p.oversold:
            confidence = 0.5 + 0.5 * (p.oversold - rsi) / p.oversold
            return BUY, confidence, f"buy: RSI {rsi:.1f} < {p.oversold}", None
        return self._hold
