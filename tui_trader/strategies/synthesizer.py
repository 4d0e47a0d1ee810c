"""Synthesizer: several named strategies vote, weighted; SELL is counted first.

Each member sees every candle. Votes: buy = sum(weight * confidence of members saying
BUY) / sum(all weights), sell likewise. If sell >= sell_threshold the result is SELL
(an exit is never outvoted by an entry), else BUY if buy >= buy_threshold, else HOLD.
Confidence = the winning vote. Members still warming up count as HOLD; the synthesizer
itself warms up for as long as its slowest member."""

from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from tui_trader.domain.enums import SignalAction
from tui_trader.domain.market import Candle
from tui_trader.strategies.base import (
    BUY,
    HOLD,
    SELL,
    Bar,
    Decision,
    Strategy,
    StrategyParamError,
    StrategyParams,
    clamp,
)
from tui_trader.strategies.catalogue import single_strategy

Threshold = Annotated[float, Field(gt=0, le=1)]


class SynthesizerParams(StrategyParams):
    # By default three equal voices and 0.4 thresholds: no single member decides alone.
    members: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {"conservative": 1.0, "rsi": 1.0, "bollinger": 1.0}
    )
    member_params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    buy_threshold: Threshold = 0.4
    sell_threshold: Threshold = 0.4

    @model_validator(mode="after")
    def _check_members(self) -> Self:
        if not self.members:
            raise ValueError("members={}: give at least one strategy name with a weight")
        if "synthesizer" in self.members:
            raise ValueError("members.synthesizer: a synthesizer cannot contain itself")
        stray = sorted(set(self.member_params) - set(self.members))
        if stray:
            raise ValueError(f"member_params.{stray[0]}: not one of members")
        return self


class SynthesizerStrategy(Strategy):
    name = "synthesizer"
    Params = SynthesizerParams
    params: SynthesizerParams

    def _setup(self) -> None:
        p = self.params
        members: list[tuple[Strategy, float]] = []
        for name, weight in p.members.items():
            try:
                member = single_strategy(name, self.symbol, p.member_params.get(name))
            except StrategyParamError as exc:
                raise StrategyParamError(f"synthesizer: {exc}") from None
            members.append((member, weight))
        self._members = members
        self._total_weight = sum(weight for _, weight in members)

    @property
    def warmup_period(self) -> int:
        return max(member.warmup_period for member, _ in self._members)

    @property
    def decides_on_bars(self) -> bool:
        return all(member.decides_on_bars for member, _ in self._members)

    def _step(self, candle: Candle) -> Decision | None:
        # Every member gets the candle: one of them (the grid) may need its Decimals.
        return self._vote(self._votes_on_candle(candle))

    def _decide(self, bar: Bar) -> Decision | None:
        decided = [member.on_bar(bar) for member, _ in self._members]
        return self._vote([(action, clamp(confidence)) for action, confidence, _, _ in decided])

    def _votes_on_candle(self, candle: Candle) -> list[tuple[SignalAction, float]]:
        votes: list[tuple[SignalAction, float]] = []
        for member, _ in self._members:
            signal = member.on_candle(candle)
            votes.append((signal.action, signal.confidence))
        return votes

    def _vote(self, votes: list[tuple[SignalAction, float]]) -> Decision:
        buy = sell = 0.0
        buyers: list[str] = []
        sellers: list[str] = []
        for (member, weight), (action, confidence) in zip(self._members, votes, strict=True):
            if action is BUY:
                buy += weight * confidence
                buyers.append(member.name)
            elif action is SELL:
                sell += weight * confidence
                sellers.append(member.name)
        buy /= self._total_weight
        sell /= self._total_weight
        p = self.params
        if sell >= p.sell_threshold:
            reason = f"sell: vote {sell:.2f} >= {p.sell_threshold} ({', '.join(sellers)})"
            return SELL, sell, reason, None
        if buy >= p.buy_threshold:
            reason = f"buy: vote {buy:.2f} >= {p.buy_threshold} ({', '.join(buyers)})"
            return BUY, buy, reason, None
        return HOLD, 0.0, f"hold: buy vote {buy:.2f}, sell vote {sell:.2f}", None
