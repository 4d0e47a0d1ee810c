"""Daily budget (UTC day) with cost, and the per-symbol cooldown."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.llm.budget import Cooldown, DailyBudget, Usage, count_usage

T0 = datetime(2025, 3, 1, 23, 59, tzinfo=UTC)


def make_budget(calls: int = 3, tokens: int = 1000) -> DailyBudget:
    return DailyBudget(calls, tokens, Decimal("0.15"), Decimal("0.60"))


def test_cost_is_priced_per_thousand_tokens() -> None:
    budget = make_budget()
    # 1200 in * 0.15/1k + 300 out * 0.60/1k = 0.18 + 0.18
    assert budget.record_usage(T0, 1200, 300) == Decimal("0.36")
    status = budget.status(T0)
    assert (status.tokens, status.cost) == (1500, Decimal("0.36"))


def test_call_budget_counts_calls_not_successes() -> None:
    budget = make_budget(calls=2)
    for _ in range(2):
        assert budget.refusal(T0) is None
        budget.record_call(T0)
    assert budget.refusal(T0) == "daily call budget used (2/2)"


def test_token_budget_refuses_once_reached() -> None:
    budget = make_budget(tokens=1000)
    budget.record_call(T0)
    budget.record_usage(T0, 900, 99)
    assert budget.refusal(T0) is None
    budget.record_usage(T0, 1, 0)
    assert budget.refusal(T0) == "daily token budget used (1000/1000)"


def test_budget_resets_at_utc_midnight() -> None:
    budget = make_budget(calls=1)
    budget.record_call(T0)
    budget.record_usage(T0, 100, 100)
    assert budget.refusal(T0 + timedelta(seconds=59)) is not None
    next_day = T0 + timedelta(minutes=1)
    assert budget.refusal(next_day) is None
    status = budget.status(next_day)
    assert (status.day, status.calls, status.tokens, status.cost) == (
        datetime(2025, 3, 2, tzinfo=UTC),
        0,
        0,
        Decimal(0),
    )


def test_cooldown_is_per_symbol() -> None:
    cooldown = Cooldown(60)
    cooldown.mark("BTCUSDT", T0)
    assert cooldown.remaining("BTCUSDT", T0 + timedelta(seconds=20)) == timedelta(seconds=40)
    assert cooldown.remaining("ETHUSDT", T0) == timedelta(0)
    assert cooldown.remaining("BTCUSDT", T0 + timedelta(seconds=60)) == timedelta(0)


@pytest.mark.parametrize(
    ("prompt", "completion"),
    [(-1_000_000, -5), (-1, 30), (10**15, 30), (400, 10**12), (True, 30), ("400", 30), (1.5, 2)],
)
def test_garbage_usage_is_a_warning_and_counts_the_estimate(
    prompt: object, completion: object
) -> None:
    usage = count_usage(prompt, completion, prompt_chars=1000, reply_chars=120)
    assert (usage.prompt_tokens, usage.completion_tokens) == (250, 30)  # 4 chars a token
    assert usage.warning.startswith("unusable token usage from the server")
    assert len(usage.warning) < 120


def test_honest_usage_counts_but_never_below_the_estimate() -> None:
    assert count_usage(400, 40, 1000, 120) == Usage(400, 40)
    assert count_usage(10, 1, 1000, 120) == Usage(250, 30)  # under-reported: the estimate
    assert count_usage(0, 0, 1000, 120) == Usage(250, 30)  # absent: the estimate, no warning


def test_negative_counts_can_never_give_tokens_back() -> None:
    budget = make_budget(tokens=1000)
    budget.record_usage(T0, 900, 99)
    assert budget.record_usage(T0, -(10**9), -(10**9)) == Decimal(0)
    budget.record_usage(T0, 1, 0)
    assert budget.refusal(T0) == "daily token budget used (1000/1000)"
