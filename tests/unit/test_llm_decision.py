"""Decide mode: every field of a decision turned into the entry and its exit plan, or the
decision refused with a reason that names the field."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.llm_decisions import decision_reply
from tui_trader.domain.enums import IntentPurpose, MarketKind, OrderType, Side
from tui_trader.domain.rules import SymbolRules
from tui_trader.llm.advice import Advice
from tui_trader.llm.decision import Constraints, DecisionRefused, decision_to_intent
from tui_trader.llm.schemas import DecisionOutput
from tui_trader.risk.exit_plan import AddLevel, ExitPlan, TakeLevel, Trailing

AT = datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)
RULES = SymbolRules("BTCUSDT", tick_size=Decimal("0.01"), step_size=Decimal("0.0001"))
FUTURES = Constraints(
    market=MarketKind.FUTURES,
    equity=Decimal(10000),
    max_leverage=5,
    max_position_pct=Decimal(30),
    max_holding_minutes=240,
    rules=RULES,
)
SPOT = replace(FUTURES, market=MarketKind.SPOT, max_leverage=1)


def advice(reply: dict[str, Any]) -> Advice:
    return Advice("BTCUSDT", "timer", "decide", AT, DecisionOutput.model_validate(reply), "", 1.0)


def long_at(entry: float | None = 42000.567, **order: Any) -> Advice:
    return advice(decision_reply("long", entry=entry, size_pct=2, **order))


def tp(price: float, ratio: float) -> dict[str, float]:
    return {"price": price, "close_ratio": ratio}


def refusal(decision: Advice, limits: Constraints = FUTURES, reference: str = "42000") -> str:
    with pytest.raises(DecisionRefused) as caught:
        decision_to_intent(decision, Decimal(reference), limits)
    return str(caught.value)


def test_a_limit_long_is_sized_from_equity_and_leverage_and_rounded() -> None:
    intent = decision_to_intent(long_at(leverage=3), Decimal("41990"), FUTURES)
    assert intent is not None
    assert (intent.side, intent.order_type, intent.purpose) == (
        Side.BUY,
        OrderType.LIMIT,
        IntentPurpose.ENTRY,
    )
    assert intent.price == Decimal("42000.56")  # buys round down to the tick
    # 2% of 10000 as margin, 3x: 600 USDT / 42000.567 = 0.014285..., down to the step
    assert intent.quantity == Decimal("0.0142")
    assert intent.intent_id == "llm-BTCUSDT-20250301T123005"
    assert intent.reference_price == Decimal("41990") and intent.created_at == AT
    assert intent.meta["leverage"] == 3 and intent.strategy == "llm"


def test_a_market_short_takes_the_reference_price_for_its_size_and_checks() -> None:
    reply = decision_reply("short", entry=None, size_pct=1, stop_loss=50500)
    intent = decision_to_intent(advice(reply), Decimal(50000), FUTURES)
    assert intent is not None
    assert (intent.side, intent.order_type, intent.price) == (Side.SELL, OrderType.MARKET, None)
    assert intent.quantity == Decimal("0.002")  # 100 USDT at 50000
    assert intent.meta["plan"].add_type is OrderType.MARKET


def test_every_exit_field_goes_into_the_positions_plan() -> None:
    decision = long_at(
        stop_loss=41000,
        take_profits=[{"price": 43000, "close_ratio": 0.5}, {"price": 44000, "close_ratio": 0.25}],
        trailing_stop={"activation_price": 43500, "callback_rate_pct": 1.2},
        scale_in=[{"price": 41500, "size_pct_equity": 1}],
        hold_duration_min=90,
    )
    intent = decision_to_intent(decision, Decimal(42000), FUTURES)
    assert intent is not None
    assert intent.meta["plan"] == ExitPlan(
        long=True,
        stop_loss=Decimal(41000),
        step=Decimal("0.0001"),
        take_profits=(
            TakeLevel(Decimal(43000), Decimal("0.5")),
            TakeLevel(Decimal(44000), Decimal("0.25")),
        ),
        trailing=Trailing(Decimal(43500), Decimal("1.2")),
        hold=timedelta(minutes=90),
        adds=(AddLevel(Decimal(41500), Decimal("0.0024")),),  # 100 USDT at 41500
        add_type=OrderType.LIMIT,
    )


def test_flat_proposes_nothing_and_invalid_advice_is_refused_with_its_error() -> None:
    assert decision_to_intent(advice(decision_reply("flat")), Decimal(1), FUTURES) is None
    invalid = Advice("BTCUSDT", "timer", "decide", AT, None, "schema violation: x", 1.0)
    assert refusal(invalid) == "schema violation: x"


@pytest.mark.parametrize(
    ("decision", "limits", "reason"),
    [
        (long_at(leverage=6), FUTURES, "leverage 6x is above the account's maximum 5x"),
        (long_at(leverage=2), SPOT, "leverage 2x on spot: spot trades at 1x only"),
        (
            advice(decision_reply("short", entry=None, stop_loss=50500)),
            SPOT,
            "a short on spot: spot cannot sell what it does not hold",
        ),
        (long_at(stop_loss=42100), FUTURES, "stop_loss 42100 is on the wrong side of the entry"),
        (
            advice(decision_reply("short", entry=None, stop_loss=41000)),
            FUTURES,
            "stop_loss 41000 is on the wrong side of the entry 42000 for a short",
        ),
        (
            long_at(take_profits=[tp(41990, 0.5)]),
            FUTURES,
            "take_profits 1 at 41990 is not beyond the entry",
        ),
        (
            long_at(take_profits=[tp(44000, 0.5), tp(43000, 0.5)]),
            FUTURES,
            "take_profits 2 at 43000 is not beyond the one before",
        ),
        (
            long_at(trailing_stop={"activation_price": 41000, "callback_rate_pct": 1}),
            FUTURES,
            "trailing_stop activation_price 41000 is not beyond the entry",
        ),
        (
            long_at(scale_in=[{"price": 40000, "size_pct_equity": 1}]),
            FUTURES,
            "scale_in 1 at 40000 is not between the entry 42000.567 and the stop_loss",
        ),
        (long_at(hold_duration_min=241), FUTURES, "longer than MAX_HOLDING_MINUTES 240"),
        (
            advice(decision_reply("long", entry=42000, size_pct=0.0001)),
            FUTURES,
            "size_pct_equity 0.0001% of equity 10000 rounds to no quantity (step 0.0001)",
        ),
        (
            long_at(leverage=5, scale_in=[{"price": 41500, "size_pct_equity": 5}]),
            FUTURES,
            "7% (with scale_in) × leverage 5x = 35% of equity, above MAX_POSITION_PCT 30%",
        ),
        (
            long_at(take_profits=[{"price": 43000, "close_ratio": 0.01}]),
            SPOT,
            "take_profits 1 closes 0 (0 quote) of 0.0047",
        ),
        (
            long_at(take_profits=[{"price": 43000, "close_ratio": 0.03}]),
            SPOT,
            "closes 0.0001 (4.3 quote) of 0.0047: under the step 0.0001 or the minimum notional 5",
        ),
    ],
)
def test_a_decision_that_cannot_be_taken_as_given_is_refused_with_the_field(
    decision: Advice, limits: Constraints, reason: str
) -> None:
    assert reason in refusal(decision, limits)


def test_a_partial_take_profit_below_min_notional_is_fine_on_futures() -> None:
    """Binance waives the minimum notional for reduce-only orders on USD-M."""
    decision = long_at(take_profits=[{"price": 43000, "close_ratio": 0.03}])
    assert decision_to_intent(decision, Decimal(42000), FUTURES) is not None


def test_no_equity_or_absurd_numbers_are_refused_not_raised() -> None:
    assert refusal(long_at(), replace(FUTURES, equity=Decimal(0))).startswith("no equity")
    sane = long_at()
    assert sane.decision is not None and sane.decision.order is not None
    # As if a lenient server's reply slipped past validation: copies skip validators.
    order = sane.decision.order.model_copy(update={"entry_price": Decimal("1e999999")})
    absurd = replace(sane, output=sane.decision.model_copy(update={"order": order}))
    assert refusal(absurd) == "entry '1E+999999' is above the 1e21 bound"


def test_the_entrys_reason_says_who_holds_the_stop() -> None:
    held = decision_to_intent(long_at(), Decimal(42000), replace(FUTURES, exchange_stops=True))
    kept = decision_to_intent(long_at(), Decimal(42000), FUTURES)
    assert held is not None and held.reason == "llm long (exchange-side stop): test decision"
    assert kept is not None and kept.reason == "llm long (stop kept by the trader): test decision"


def test_notes_are_kept_as_plain_text_without_control_sequences() -> None:
    reply = {**decision_reply("long", entry=42000), "notes": "\x1b[31mthin\x1b[0m [b]book[/b]\n"}
    intent = decision_to_intent(advice(reply), Decimal(42000), FUTURES)
    assert intent is not None and intent.meta["notes"] == "thin [b]book[/b]"


def test_a_decision_less_confident_than_the_threshold_is_refused() -> None:
    sure = replace(FUTURES, min_confidence=0.8)
    assert decision_to_intent(long_at(), Decimal(42000), sure) is not None  # 0.8: enough
    doubtful = advice({**decision_reply("long", entry=42000), "confidence": 0.79})
    assert refusal(doubtful, sure) == "confidence 0.79 is under LLM_GATE_THRESHOLD 0.80"


def test_a_futures_stop_past_the_liquidation_at_max_leverage_is_refused() -> None:
    """The exchange margins the position at MAX_LEVERAGE 5x: liquidated about 19.6% away
    (1/5 - 0.4%), so a stop 25% away would never fire first."""
    far = long_at(40000, stop_loss=30000.0, take_profits=[tp(44000, 1)])
    reason = refusal(far)
    assert "stop_loss 30000 is 25.00% from the entry 40000" in reason
    assert "MAX_LEVERAGE 5x (about 19.60% away)" in reason
    near = long_at(40000, stop_loss=33000.0, take_profits=[tp(44000, 1)])  # 17.5%: fine
    assert decision_to_intent(near, Decimal(40000), FUTURES) is not None
    # On spot nothing is liquidated: the same distant stop is the user's choice.
    spot = long_at(40000, stop_loss=30000.0, take_profits=[tp(44000, 1)], leverage=1)
    assert decision_to_intent(spot, Decimal(40000), SPOT) is not None
