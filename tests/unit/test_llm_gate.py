"""The entry gate of gate mode, and the advice the LLM panel shows."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.llm_decisions import decision_reply
from tui_trader.domain.enums import IntentPurpose, Side
from tui_trader.llm.advice import Advice, advice_view
from tui_trader.llm.gate import gate_allows
from tui_trader.llm.schemas import AdvisoryOutput, DecisionOutput

AT = datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)


def advisory(action: str, confidence: float) -> Advice:
    output = AdvisoryOutput(
        action=action,  # type: ignore[arg-type]
        confidence=confidence,
        reasoning="r",
        risk_notes="",
    )
    return Advice("BTCUSDT", "signal", "gate", AT, output, "", 120.0)


def decision(kind: str) -> Advice:
    output = DecisionOutput.model_validate(decision_reply(kind, entry=42000))
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


def test_advice_view_for_the_ui_panel() -> None:
    view = advice_view(INVALID)
    assert (view.action, view.confidence, view.reasoning, view.valid) == (
        "INVALID",
        0.0,
        "timeout",
        False,
    )
    assert advice_view(decision("short")).action == "SHORT"


def test_a_decisions_notes_are_shown_beside_its_rationale() -> None:
    output = DecisionOutput.model_validate({**decision_reply("long"), "notes": "thin book"})
    advice = Advice("BTCUSDT", "timer", "decide", AT, output, "", 900.0)
    assert advice_view(advice).reasoning == "test decision | notes: thin book"
