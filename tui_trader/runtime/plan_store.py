"""A position's exit plan (an LLM decision's) kept in the journal, so a restarted trader
manages the position as the decision asked, not by the percentages: written when the
decision's entry goes out, forgotten when its position closes, read back at start."""

import json
from collections.abc import Callable
from datetime import datetime

from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.journal.store import Journal
from tui_trader.risk.exit_plan import ExitPlan, plan_data, plan_from_data

PLAN_KEY = "exit_plan:"  # + symbol: the plan of the symbol's position, "" for none


def save_plan(journal: Journal, symbol: str, plan: ExitPlan | None) -> None:
    journal.set_meta(PLAN_KEY + symbol, json.dumps(plan_data(plan)) if plan else "")


async def restore_plans(
    journal: Journal, core: TradingCore, say: Callable[[SafetyEvent], None], now: datetime
) -> None:
    """The journaled plan of every open position (a plan of the other side is not
    applied: exits.py); one that cannot be read leaves the percentages, loudly."""
    for symbol, position in core.parts.portfolio.positions.items():
        if not position.is_open:
            continue
        raw = await journal.get_meta(PLAN_KEY + symbol)
        if not raw:
            continue
        try:
            plan = plan_from_data(json.loads(raw))
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            message = (
                f"the journaled exit plan of {symbol} is unreadable ({exc}): the percentages apply"
            )
            say(SafetyEvent(now, Severity.WARNING, SafetyKind.LLM_GATE, message, symbol=symbol))
            continue
        core.parts.exits.set_plan(symbol, plan)
