"""The seed strategy: trend-following entries only in calm, liquid, not-overbought markets.

BUY when all hold: fast EMA > slow EMA; close > slow EMA; ATR / close < max_atr_pct %;
rsi_buy_min <= RSI <= rsi_buy_max; volume > min_volume_ratio x its rolling average (the
average includes the current candle); confidence >= min_confidence.
SELL when fast EMA < slow EMA, or RSI > rsi_sell. Otherwise HOLD (the reason names the
first BUY condition that failed).

Confidence (deterministic, documented so a reader can recompute it):
  BUY  = 0.4 + 0.3 * min(1, separation% / 0.5) + 0.3 * headroom
         separation% = (fast - slow) / slow * 100; headroom = (rsi_buy_max - RSI) /
         (rsi_buy_max - rsi_buy_min), i.e. how far RSI still is from the top of its band.
  SELL = the larger of 0.5 + 0.5 * min(1, (slow - fast) / slow * 100 / 0.5) when the trend
         turned, and 0.5 + 0.5 * (RSI - rsi_sell) / (100 - rsi_sell) when overbought.
"""

from typing import Annotated, Self

from pydantic import Field, model_validator

from tui_trader.domain.enums import SignalAction
from tui_trader.indicators import ATR, EMA, RSI, RollingMean
from tui_trader.strategies.base import BUY, HOLD, SELL, Bar, Decision, Strategy, StrategyParams

# EMA separation (in % of the slow EMA) at which the trend term of confidence saturates.
FULL_SEPARATION_PCT = 0.5

Period = Annotated[int, Field(ge=2, le=1000)]
RsiLevel = Annotated[float, Field(ge=0, le=100)]


class ConservativeParams(StrategyParams):
    fast_period: Period = 9
    slow_period: Period = 21
    rsi_period: Period = 14
    atr_period: Annotated[int, Field(ge=1, le=1000)] = 14
    volume_period: Annotated[int, Field(ge=1, le=1000)] = 20
    max_atr_pct: Annotated[float, Field(gt=0, le=100)] = 3.0
    rsi_buy_min: RsiLevel = 30.0
    rsi_buy_max: RsiLevel = 65.0
    rsi_sell: RsiLevel = 75.0
    min_volume_ratio: Annotated[float, Field(ge=0)] = 0.5
    min_confidence: Annotated[float, Field(ge=0, le=1)] = 0.6

    @model_validator(mode="after")
    def _check_order(self) -> Self:
        if self.fast_period >= self.slow_period:
            raise ValueError(
                f"fast_period={self.fast_period}: must be < slow_period={self.slow_period}"
            )
        if self.rsi_buy_min >= self.rsi_buy_max:
            raise ValueError(
                f"rsi_buy_min={self.rsi_buy_min}: must be < rsi_buy_max={self.rsi_buy_max}"
            )
        if self.rsi_buy_max > self.rsi_sell:
            raise ValueError(f"rsi_buy_max={self.rsi_buy_max}: must be <= rsi_sell={self.rsi_sell}")
        return self


class ConservativeStrategy(Strategy):
    name = "conservative"
    Params = ConservativeParams
    params: ConservativeParams

    def _setup(self) -> None:
        p = self.params
        self._fast = EMA(p.fast_period)
        self._slow = EMA(p.slow_period)
        self._rsi = RSI(p.rsi_period)
        self._atr = ATR(p.atr_period)
        self._volume = RollingMean(p.volume_period)
        # Reasons for frequent outcomes are built once: formatting per candle is not free.
        self._hold_trend = "hold: fast EMA not above slow EMA"
        self._hold_close = "hold: close not above slow EMA"
        self._hold_atr = f"hold: ATR/price >= {p.max_atr_pct}%"
        self._hold_rsi = f"hold: RSI outside [{p.rsi_buy_min}, {p.rsi_buy_max}]"
        self._hold_volume = (
            f"hold: volume <= {p.min_volume_ratio}x its {p.volume_period}-candle average"
        )
        self._sell_trend = "sell: fast EMA below slow EMA"
        self._sell_rsi = f"sell: RSI above {p.rsi_sell}"
        self._sell_both = f"sell: fast EMA below slow EMA and RSI above {p.rsi_sell}"

    @property
    def warmup_period(self) -> int:
        p = self.params
        return max(p.slow_period, p.rsi_period + 1, p.atr_period + 1, p.volume_period)

    def indicators(self) -> dict[str, float | None]:
        return {
            "ema_fast": self._fast.value,
            "ema_slow": self._slow.value,
            "rsi": self._rsi.value,
            "atr": self._atr.value,
            "volume_mean": self._volume.value,
        }

    def _decide(self, bar: Bar) -> Decision | None:
        close = bar.close
        volume = bar.volume
        fast = self._fast.update(close)
        slow = self._slow.update(close)
        rsi = self._rsi.update(close)
        atr = self._atr.update(bar.high, bar.low, close)
        volume_avg = self._volume.update(volume)
        if fast is None or slow is None or rsi is None or atr is None or volume_avg is None:
            return None
        action, confidence, reason = self.decide(fast, slow, close, atr, rsi, volume, volume_avg)
        return action, confidence, reason, None

    def decide(
        self,
        fast: float,
        slow: float,
        close: float,
        atr: float,
        rsi: float,
        volume: float,
        volume_avg: float,
    ) -> tuple[SignalAction, float, str]:
        """The decision from indicator values alone (pure: no state is touched)."""
        p = self.params
        trend_down = fast < slow
        overbought = rsi > p.rsi_sell
        if trend_down or overbought:
            return self._sell(fast, slow, rsi, trend_down, overbought)
        if fast <= slow:
            return HOLD, 0.0, self._hold_trend
        if close <= slow:
            return HOLD, 0.0, self._hold_close
        atr_pct = atr / close * 100.0
        if atr_pct >= p.max_atr_pct:
            return HOLD, 0.0, self._hold_atr
        if not p.rsi_buy_min <= rsi <= p.rsi_buy_max:
            return HOLD, 0.0, self._hold_rsi
        if volume <= p.min_volume_ratio * volume_avg:
            return HOLD, 0.0, self._hold_volume
        separation = (fast - slow) / slow * 100.0
        headroom = (p.rsi_buy_max - rsi) / (p.rsi_buy_max - p.rsi_buy_min)
        confidence = 0.4 + 0.3 * min(1.0, separation / FULL_SEPARATION_PCT) + 0.3 * headroom
        if confidence < p.min_confidence:
            return HOLD, confidence, f"hold: confidence {confidence:.2f} < {p.min_confidence}"
        reason = (
            f"buy: EMA {fast:.6g} > {slow:.6g} (+{separation:.2f}%), RSI {rsi:.1f}, "
            f"ATR {atr_pct:.2f}%, volume {volume / volume_avg:.2f}x avg"
        )
        return BUY, confidence, reason

    def _sell(
        self, fast: float, slow: float, rsi: float, trend_down: bool, overbought: bool
    ) -> tuple[SignalAction, float, str]:
        p = self.params
        confidence = 0.0
        if trend_down:
            gap = (slow - fast) / slow * 100.0
            confidence = 0.5 + 0.5 * min(1.0, gap / FULL_SEPARATION_PCT)
        if overbought:
            confidence = max(confidence, 0.5 + 0.5 * (rsi - p.rsi_sell) / (100.0 - p.rsi_sell))
        reason = (
            self._sell_both
            if trend_down and overbought
            else (self._sell_trend if trend_down else self._sell_rsi)
        )
        return SELL, confidence, reason
