"""The fenced-code tolerant JSON extractor and the strict output schemas."""

import json
from decimal import Decimal

import pytest

from tests.llm_decisions import decision_reply
from tui_trader.llm.parser import OutputInvalid, extract_json, parse_reply
from tui_trader.llm.schemas import AdvisoryOutput, DecisionOutput

ADVICE = {"action": "HOLD", "confidence": 0.4, "reasoning": "range", "risk_notes": "none"}
DECISION = decision_reply(
    "long",
    entry=42000.5,
    size_pct=2,
    take_profits=[{"price": 42600, "close_ratio": 0.5}, {"price": 43100.25, "close_ratio": 0.5}],
)


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
    assert decision.order is not None
    assert decision.order.entry_price == Decimal("42000.5")
    assert [tp.price for tp in decision.order.take_profits] == [
        Decimal("42600"),
        Decimal("43100.25"),
    ]
    assert decision.order.size_pct_equity == Decimal(2)


def test_flat_decision_has_no_order() -> None:
    assert parse_reply(json.dumps(decision_reply("flat")), DecisionOutput).order is None


def order_with(**changes: object) -> dict[str, object]:
    return {**DECISION, "order": {**DECISION["order"], **changes}}


def tp(price: float, ratio: float) -> dict[str, float]:
    return {"price": price, "close_ratio": ratio}


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({**DECISION, "order": None}, "a long decision needs an order"),
        ({**decision_reply("flat"), "order": DECISION["order"]}, "flat decision takes no order"),
        (order_with(entry_price=None), "a limit order needs entry_price"),
        (order_with(order_type="market"), "a market order takes the market price"),
        (order_with(order_type="stop"), "order_type: Input should be 'market' or 'limit'"),
        (order_with(take_profits=[tp(1, 0.6), tp(2, 0.5)]), "sum to 1.1, more than 1"),
        (order_with(take_profits=[tp(1, 0)]), "close_ratio: Input should be greater than 0"),
        (order_with(take_profits=[tp(1, 0.2), tp(1, 0.2)]), "two take_profits at the same"),
        (order_with(size_pct_equity=0), "size_pct_equity: Input should be greater than 0"),
        (order_with(size_pct_equity=100.5), "size_pct_equity: Input should be less than or"),
        (order_with(leverage=126), "leverage: Input should be less than or equal to 125"),
        (
            order_with(trailing_stop={"activation_price": 1, "callback_rate_pct": 0.05}),
            "callback_rate_pct: Input should be greater than or equal to 0.1",
        ),
        (order_with(hold_duration_min=0), "hold_duration_min: Input should be greater than"),
        (order_with(stop_loss=None), "stop_loss: Decimal input should be"),
        (order_with(leverage_hint=2), "leverage_hint: Extra inputs are not permitted"),
        ({**DECISION, "notes": "x" * 501}, "notes: String should have at most 500"),
    ],
)
def test_malformed_decisions_are_invalid(reply: dict[str, object], reason: str) -> None:
    with pytest.raises(OutputInvalid, match=reason):
        parse_reply(json.dumps(reply), DecisionOutput)


@pytest.mark.parametrize(
    ("field", "raw", "reason"),
    [
        ("entry_price", '"1e999999"', "above the 1e21 bound"),  # a string: not caught by JSON
        ("entry_price", "1e999999", "finite number"),  # JSON reads it as infinity
        ("size_pct_equity", '"1e-999999"', "below the 1e-18 bound"),
        ("stop_loss", '"NaN"', "finite number"),
    ],
)
def test_absurd_decision_numbers_are_invalid(field: str, raw: str, reason: str) -> None:
    text = json.dumps(order_with(**{field: "PLACEHOLDER"})).replace('"PLACEHOLDER"', raw)
    with pytest.raises(OutputInvalid, match=reason) as caught:
        parse_reply(text, DecisionOutput)
    assert len(str(caught.value)) < 300


def test_a_huge_integer_is_no_json_rather_than_a_crash() -> None:
    with pytest.raises(OutputInvalid, match="no JSON object"):
        parse_reply('{"confidence": ' + "9" * 5000 + "}", AdvisoryOutput)
