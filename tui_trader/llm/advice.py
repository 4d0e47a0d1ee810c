"""One piece of LLM advice as the rest of the system sees it, valid or not."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.llm.prompt import Trigger
from tui_trader.llm.schemas import AdvisoryOutput, DecisionOutput, ReplyPath
from tui_trader.llm.settings import LLMMode
from tui_trader.snapshot import AdviceView


@dataclass(frozen=True, slots=True)
class Advice:
    symbol: str
    trigger: Trigger
    mode: LLMMode
    at: datetime  # when the request was made (injected clock)
    output: AdvisoryOutput | DecisionOutput | None  # None: invalid, ignored (fail-safe)
    error: str  # why it is invalid; "" when valid
    latency_ms: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Decimal(0)
    path: ReplyPath = "none"

    @property
    def valid(self) -> bool:
        return self.output is not None

    @property
    def advisory(self) -> AdvisoryOutput | None:
        return self.output if isinstance(self.output, AdvisoryOutput) else None

    @property
    def decision(self) -> DecisionOutput | None:
        return self.output if isinstance(self.output, DecisionOutput) else None

    @property
    def action(self) -> str:
        """BUY_CONSIDER / SELL_CONSIDER / HOLD, LONG / SHORT / FLAT, or INVALID."""
        if isinstance(self.output, AdvisoryOutput):
            return self.output.action
        if isinstance(self.output, DecisionOutput):
            return self.output.decision.upper()
        return "INVALID"

    @property
    def confidence(self) -> float:
        return self.output.confidence if self.output is not None else 0.0

    @property
    def summary(self) -> str:
        if isinstance(self.output, AdvisoryOutput):
            return self.output.reasoning
        if isinstance(self.output, DecisionOutput):
            notes = self.output.notes
            return self.output.rationale + (f" | notes: {notes}" if notes else "")
        return self.error


def advice_view(advice: Advice) -> AdviceView:
    return AdviceView(
        symbol=advice.symbol,
        action=advice.action,
        confidence=advice.confidence,
        reasoning=advice.summary,
        at=advice.at,
        latency_ms=advice.latency_ms,
        valid=advice.valid,
    )
