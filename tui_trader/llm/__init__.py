"""LLM advisor: openai SDK client, prompt builder, output schemas, budget, gate."""

from tui_trader.llm.advice import Advice, advice_view
from tui_trader.llm.advisor import ClientFactory, JournalSink, LLMAdvisor
from tui_trader.llm.budget import BudgetStatus
from tui_trader.llm.client import build_client
from tui_trader.llm.gate import decision_to_intent, gate_allows
from tui_trader.llm.prompt import AccountBrief, AdvisorContext, MarketBrief, Trigger
from tui_trader.llm.schemas import AdvisoryOutput, DecisionOutput
from tui_trader.llm.settings import LLMMode, LLMSettings

__all__ = [
    "AccountBrief",
    "Advice",
    "AdvisorContext",
    "AdvisoryOutput",
    "BudgetStatus",
    "ClientFactory",
    "DecisionOutput",
    "JournalSink",
    "LLMAdvisor",
    "LLMMode",
    "LLMSettings",
    "MarketBrief",
    "Trigger",
    "advice_view",
    "build_client",
    "decision_to_intent",
    "gate_allows",
]
