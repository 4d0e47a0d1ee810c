"""Gate mode: may an entry go ahead on the model's advice? A pure function that only
ever blocks entries (an exit that reduces risk must never wait for a model). Decide
mode's proposals are llm/decision.py's."""

from datetime import datetime, timedelta

from tui_trader.domain.enums import IntentPurpose, Side
from tui_trader.llm.advice import Advice

_ENTRY_ACTION = {Side.BUY: ("BUY_CONSIDER", "LONG"), Side.SELL: ("SELL_CONSIDER", "SHORT")}


def gate_allows(
    advice: Advice | None,
    side: Side,
    threshold: float,
    *,
    purpose: IntentPurpose = IntentPurpose.ENTRY,
    now: datetime | None = None,
    max_age: timedelta | None = None,
) -> bool:
    """Gate mode: may an order go ahead? Exits always; an entry only when fresh, valid
    advice points the same way with confidence ≥ threshold. No advice, invalid advice
    or stale advice blocks the entry (fail-safe)."""
    if purpose.is_exit:
        return True
    if advice is None or not advice.valid:
        return False
    if now is not None and max_age is not None and now - advice.at > max_age:
        return False
    return advice.action in _ENTRY_ACTION[side] and advice.confidence >= threshold
