"""Turning advice into trading effects: the entry gate and the decide-mode proposal.

Both are pure functions. The gate only ever blocks entries (an exit that reduces risk
must never wait for a model), and a decision only becomes an OrderIntent *proposal*:
the trader routes it through the normal risk gate like any other entry."""

from datetime import datetime, timedelta
from decimal import Decimal

from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.domain.rules import SymbolRules
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


def decision_to_intent(
    advice: Advice, reference_price: Decimal, rules: SymbolRules | None = None
) -> OrderIntent | None:
    """Decide mode: a LIMIT ENTRY at the decision's entry price for its size, rounded to
    the symbol's tick and step when rules are given. None for flat, invalid or a size
    that rounds to zero."""
    decision = advice.decision
    if decision is None or decision.position is None or decision.decision == "flat":
        return None
    position = decision.position
    side = Side.BUY if decision.decision == "long" else Side.SELL
    price, quantity = position.entry, position.size
    if rules is not None:
        try:
            price, quantity = rules.round_price(price, side), rules.round_qty(quantity)
        except ArithmeticError:  # absurd magnitudes from the model (1e999999): no entry
            return None
    if quantity <= 0:
        return None
    return OrderIntent(
        # One id per decision: the same advice proposed twice maps to one client order id.
        intent_id=f"llm-{advice.symbol}-{advice.at:%Y%m%dT%H%M%S}",
        symbol=advice.symbol,
        side=side,
        order_type=OrderType.LIMIT,
        quantity=quantity,
        price=price,
        purpose=IntentPurpose.ENTRY,
        created_at=advice.at,
        reference_price=reference_price,
        reason=f"llm {decision.decision}: {decision.rationale[:200]}",
        strategy="llm",
        meta={
            "stop_loss": position.stop_loss,
            "take_profits": tuple(position.take_profits),
            "trailing_stop_pct": position.trailing_stop,
            "leverage": decision.risk.leverage,
            "confidence": decision.confidence,
            "next_check_after_min": decision.next_check_after_min,
            "compliance_codes": tuple(decision.compliance_codes),
        },
    )
