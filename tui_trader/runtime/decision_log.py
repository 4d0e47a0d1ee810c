"""What the core decided besides orders (signals, volatility triggers): journaled as
decisions, and in advisory mode a reason to ask the LLM advisor."""

from typing import TYPE_CHECKING

from tui_trader.core.volatility import VolatilityTrigger
from tui_trader.domain.orders import Signal
from tui_trader.journal.store import Journal

if TYPE_CHECKING:
    from tui_trader.ops.metrics import TraderMetrics
    from tui_trader.runtime.advice_link import AdviceLink


class DecisionLog:
    def __init__(
        self, journal: Journal, advice: "AdviceLink | None", metrics: "TraderMetrics | None"
    ) -> None:
        self._journal = journal
        self._advice = advice
        self._metrics = metrics

    def trigger(self, trigger: VolatilityTrigger) -> None:
        self._journal.record_event(
            "decisions",
            "volatility_trigger",
            {
                "symbol": trigger.symbol,
                "kind": str(trigger.kind),
                "delta_pct": trigger.delta_pct,
                "threshold_pct": trigger.threshold_pct,
            },
        )
        if self._advice is not None and self._advice.mode == "advisory":
            self._advice.ask(trigger.symbol, "volatility")
        elif self._advice is not None and self._advice.mode == "decide":
            self._advice.decide_soon(trigger.symbol, "volatility")

    def signal(self, signal: Signal) -> None:
        if self._metrics is not None:
            self._metrics.count_signal(signal.symbol, signal.action.value)
        if self._advice is not None and self._advice.mode == "advisory":
            self._advice.ask(signal.symbol, "signal")
        self._journal.record_event(
            "decisions",
            "signal",
            {
                "symbol": signal.symbol,
                "action": signal.action.value,
                "reason": signal.reason,
                "confidence": signal.confidence,
                "price": str(signal.price),
                "ts": signal.ts.isoformat(),
            },
        )
