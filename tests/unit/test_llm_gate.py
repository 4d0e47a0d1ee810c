"""The entry gate and the decide-mode order proposal."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.rules import SymbolRules
from tui_trader.llm.advice import Advice, advice_view
from tui_trader.llm.gate import decision_to_intent, gate_allows
from tui_trader.llm.schemas import (
    AdvisoryOutput,
    DecisionOutput,
    DecisionPosition,
    DecisionRisk,
)

AT = datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)


def advisory(action: str, confidence: float) -> Advice:
    output = AdvisoryOutput(
        action=action,  # type: ignore[arg-type]
        confidence=confidence,
        reasoning="r",
        risk_notes="",
    )
    return Advice("BTCUSDT", "signal", "gate", AT, output, "", 120.0)


def decision(kind: str, entry: str = "42000.567", size: str = "0.012345") -> Advice:
    sign = Decimal(1) if kind != "short" else Decimal(-1)
    position = DecisionPosition(
        entry=Decimal(entry),
        size=Decimal(size),
        stop_loss=Decimal(entry) - sign * 500,
        take_profits=[Decimal(entry) + sign * 600],
        trailing_stop=Decimal("1.5"),
        expected_fees=Decimal("0.8"),
        estimated_liquidation_price=None,
    )
    output = DecisionOutput(
        decision=kind,  # type: ignore[arg-type]
        timeframe="1h",
        rationale="breakout",
        position=None if kind == "flat" else position,
        risk=DecisionRisk(leverage=2, max_loss_quote=Decimal(6), risk_reward=1.2),
        scenarios=[],
        invalidations=[],
        confidence=0.7,
        next_check_after_min=30,
        compliance_codes=["WITHIN_RISK_LIMITS"],
    )
    return Advice("BTCUSDT", "timer", "decide", AT, output, "", 900.0)


INVALID = Advice("BTCUSDT", "signal", "gate", AT, None, "timeout", 5000.0)


@pytest.mark.parametrize(
    ("advice", "side", "allowed"),
    [
        (advisory("BUY_CONSIDER", 0.6), Side.BUY, True),  # exactly at the threshold
        (advisory("BUY_CONSIDER", 0.59), Side.BUY, False),
        (advisory("SELL_CONSIDER", 0.9), Side.BUY, False),
        (advisory("HOLD", 0.9), Side.BUY, False),
        (advisory("SELL_CONSIDER", 0.9), Side.SELL, True),
        (decision("long"), Side.BUY, True),
        (decision("long"), Side.SELL, False),
        (INVALID, Side.BUY, False),
        (None, Side.BUY, False),
    ],
)
def test_entries_need_fresh_agreeing_confident_advice(
    advice: Advice | None, side: Side, allowed: bool
) -> None:
    assert gate_allows(advice, side, 0.6) is allowed


@pytest.mark.parametrize("purpose", [p for p in IntentPurpose if p.is_exit])
def test_exits_are_never_blocked(purpose: IntentPurpose) -> None:
    assert gate_allows(None, Side.SELL, 0.99, purpose=purpose) is True
    assert gate_allows(INVALID, Side.SELL, 0.99, purpose=purpose) is True


def test_stale_advice_blocks_entries() -> None:
    advice = advisory("BUY_CONSIDER", 0.9)
    age = timedelta(minutes=10)
    assert gate_allows(advice, Side.BUY, 0.5, now=AT + age, max_age=age) is True
    later = AT + age + timedelta(seconds=1)
    assert gate_allows(advice, Side.BUY, 0.5, now=later, max_age=age) is False


def test_long_decision_becomes_a_rounded_limit_entry() -> None:
    rules = SymbolRules("BTCUSDT", tick_size=Decimal("0.01"), step_size=Decimal("0.0001"))
    intent = decision_to_intent(decision("long"), Decimal("41990"), rules)
    assert intent is not None
    assert (intent.side, intent.order_type, intent.purpose) == (
        Side.BUY,
        OrderType.LIMIT,
        IntentPurpose.ENTRY,
    )
    assert intent.price == Decimal("42000.56")  # buys round down to the tick
    assert intent.quantity == Decimal("0.0123")  # quantities always round down
    assert intent.intent_id == "llm-BTCUSDT-20250301T123005"
    assert intent.reference_price == Decimal("41990") and intent.created_at == AT
    assert intent.meta["stop_loss"] == Decimal("41500.567")
    assert intent.meta["take_profits"] == (Decimal("42600.567"),)
    assert intent.meta["leverage"] == 2 and intent.strategy == "llm"


def test_short_decision_sells_and_rounds_the_price_up() -> None:
    rules = SymbolRules("BTCUSDT", tick_size=Decimal("0.01"), step_size=Decimal("0.0001"))
    intent = decision_to_intent(decision("short"), Decimal("42010"), rules)
    assert intent is not None and intent.side is Side.SELL
    assert intent.price == Decimal("42000.57")


def test_flat_invalid_or_dust_decisions_propose_nothing() -> None:
    rules = SymbolRules("BTCUSDT", step_size=Decimal("0.001"))
    assert decision_to_intent(decision("flat"), Decimal(1)) is None
    assert decision_to_intent(INVALID, Decimal(1)) is None
    assert decision_to_intent(decision("long", size="0.0004"), Decimal(1), rules) is None


def test_advice_view_for_the_ui_panel() -> None:
    view = advice_view(INVALID)
    assert (view.action, view.confidence, view.reasoning, view.valid) == (
        "INVALID",
        0.0,
        "timeout",
        False,
    )
    assert advice_view(decision("short")).action == "SHORT"


def test_absurd_decision_numbers_give_no_entry_instead_of_an_error() -> None:
    rules = SymbolRules("BTCUSDT", tick_size=Decimal("0.01"), step_size=Decimal("0.0001"))
    sane = decision("long")
    assert sane.decision is not None and sane.decision.position is not None
    # As if a lenient server's reply slipped past validation: copies skip validators.
    position = sane.decision.position.model_copy(update={"entry": Decimal("1e999999")})
    output = sane.decision.model_copy(update={"position": position})
    absurd = Advice("BTCUSDT", "timer", "decide", AT, output, "", 900.0)
    assert decision_to_intent(absurd, Decimal("41990"), rules) is None
