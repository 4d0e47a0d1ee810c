"""The fenced-code tolerant JSON extractor and the strict output schemas."""

import json
from decimal import Decimal

import pytest

from tui_trader.llm.parser import OutputInvalid, extract_json, parse_reply
from tui_trader.llm.schemas import AdvisoryOutput, DecisionOutput

ADVICE = {"action": "HOLD", "confidence": 0.4, "reasoning": "range", "risk_notes": "none"}
DECISION = {
    "decision": "long",
    "timeframe": "1h",
    "rationale": "breakout above range",
    "position": {
        "entry": 42000.5,
        "size": "0.01",
        "stop_loss": 41500,
        "take_profits": [42600, 43100.25],
        "trailing_stop": 1.5,
        "expected_fees": 0.84,
        "estimated_liquidation_price": None,
    },
    "risk": {"leverage": 1, "max_loss_quote": 5.0, "risk_reward": 1.2},
    "scenarios": [{"name": "base", "probability": 0.6, "description": "trend continues"}],
    "invalidations": ["close below 41500"],
    "confidence": 0.7,
    "next_check_after_min": 30,
    "compliance_codes": ["WITHIN_RISK_LIMITS"],
}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(ADVICE),
        f"```json\n{json.dumps(ADVICE)}\n```",
        f"```\n{json.dumps(ADVICE, indent=2)}\n```",
        f"Here is my view:\n```JSON\n{json.dumps(ADVICE)}\n```\nThanks!",
        f"My answer is {json.dumps(ADVICE)} -- hope it helps {{not json}}",
    ],
)
def test_advice_is_found_plain_fenced_or_in_prose(text: str) -> None:
    assert parse_reply(text, AdvisoryOutput) == AdvisoryOutput(**ADVICE)  # type: ignore[arg-type]


def test_braces_and_quotes_inside_strings_do_not_end_the_object() -> None:
    text = 'Note: {"reasoning": "a } brace and a \\" quote {", "n": {"m": 1}} trailing }'
    assert extract_json(text) == {"reasoning": 'a } brace and a " quote {', "n": {"m": 1}}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I think you should hold.", "no JSON object found"),
        ('Sure! {"action": "BUY_CONSIDER", "confidence": 0.8,', "no JSON object found"),
        ("[1, 2]", "expected a JSON object, got list"),
        ("x" * 50_001, "reply too long"),
    ],
)
def test_replies_without_a_usable_object_are_invalid(text: str, reason: str) -> None:
    with pytest.raises(OutputInvalid, match=reason):
        parse_reply(text, AdvisoryOutput)


def test_schema_violations_are_listed_briefly() -> None:
    bad = {**ADVICE, "action": "MAYBE", "confidence": 3, "extra": 1}
    with pytest.raises(OutputInvalid) as caught:
        parse_reply(json.dumps(bad), AdvisoryOutput)
    message = str(caught.value)
    assert message.startswith("schema violation: action: Input should be 'HOLD'")
    assert "confidence: Input should be less than or equal to 1" in message
    assert "extra: Extra inputs are not permitted" in message


def test_reasoning_longer_than_500_characters_is_refused() -> None:
    with pytest.raises(OutputInvalid, match="reasoning: String should have at most 500"):
        parse_reply(json.dumps({**ADVICE, "reasoning": "x" * 501}), AdvisoryOutput)


def test_decision_money_fields_are_exact_decimals() -> None:
    decision = parse_reply(f"```json\n{json.dumps(DECISION)}\n```", DecisionOutput)
    assert decision.position is not None
    assert decision.position.entry == Decimal("42000.5")
    assert decision.position.take_profits == [Decimal("42600"), Decimal("43100.25")]
    assert decision.position.size == Decimal("0.01")


def test_flat_decision_has_no_position() -> None:
    flat = {**DECISION, "decision": "flat", "position": None}
    assert parse_reply(json.dumps(flat), DecisionOutput).position is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"position": None}, "a long decision needs a position"),
        (
            {"position": {**DECISION["position"], "stop_loss": 42100}},
            "stop_loss 42100 is on the wrong side",
        ),  # type: ignore[dict-item]
        ({"decision": "short"}, "stop_loss 41500 is on the wrong side"),
        ({"compliance_codes": ["ok lower"]}, "compliance_codes.0: String should match pattern"),
        (
            {"next_check_after_min": 0},
            "next_check_after_min: Input should be greater than or equal to 1",
        ),
    ],
)
def test_inconsistent_decisions_are_invalid(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(OutputInvalid, match=reason):
        parse_reply(json.dumps({**DECISION, **changes}), DecisionOutput)


def test_take_profit_on_the_wrong_side_is_invalid() -> None:
    position = {**DECISION["position"], "take_profits": [42600, 41900]}  # type: ignore[dict-item]
    with pytest.raises(OutputInvalid, match="every take_profit must be beyond entry"):
        parse_reply(json.dumps({**DECISION, "position": position}), DecisionOutput)


@pytest.mark.parametrize(
    ("field", "raw", "reason"),
    [
        ("entry", '"1e999999"', "above the 1e21 bound"),  # a string: not caught by JSON
        ("entry", "1e999999", "finite number"),  # JSON reads it as infinity
        ("size", '"1e-999999"', "below the 1e-18 bound"),
        ("expected_fees", '"NaN"', "finite number"),
    ],
)
def test_absurd_decision_numbers_are_invalid(field: str, raw: str, reason: str) -> None:
    position = {**DECISION["position"], field: "PLACEHOLDER"}  # type: ignore[dict-item]
    text = json.dumps({**DECISION, "position": position}).replace('"PLACEHOLDER"', raw)
    with pytest.raises(OutputInvalid, match=reason) as caught:
        parse_reply(text, DecisionOutput)
    assert len(str(caught.value)) < 300


def test_infinite_risk_reward_is_invalid() -> None:
    text = json.dumps({**DECISION, "risk": {**DECISION["risk"], "risk_reward": 1}})  # type: ignore[dict-item]
    with pytest.raises(OutputInvalid, match="risk_reward"):
        parse_reply(text.replace('"risk_reward": 1', '"risk_reward": 1e999'), DecisionOutput)


def test_a_huge_integer_is_no_json_rather_than_a_crash() -> None:
    with pytest.raises(OutputInvalid, match="no JSON object"):
        parse_reply('{"confidence": ' + "9" * 5000 + "}", AdvisoryOutput)
