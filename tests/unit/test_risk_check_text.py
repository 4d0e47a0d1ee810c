"""Risk checks describe themselves only when read: a check that passes unread formats
nothing, and what is read (a refusal, the journal's record) says what it always said."""

from tests.unit.test_risk_manager import make_ctx, make_intent, make_limits
from tui_trader.risk.context import CheckResult
from tui_trader.risk.manager import RiskManager


def test_the_text_is_made_once_and_only_when_read() -> None:
    made: list[str] = []

    def explain() -> tuple[str, str, str]:
        made.append("text")
        return "1", "2", "one of two"

    unread = CheckResult.lazy("count", True, explain)
    assert unread.passed and made == []
    read = CheckResult.lazy("count", True, explain)
    assert (read.value, read.limit, read.reason) == ("1", "2", "one of two")
    assert read.record() == {"name": "count", "passed": True, "value": "1", "limit": "2",
                             "reason": "one of two"}  # fmt: skip
    assert made == ["text"]


def test_an_approved_intent_journals_every_check_with_its_numbers() -> None:
    decision = RiskManager(make_limits()).check(make_intent("1", "100"), make_ctx())
    assert decision.approved and decision.reason == "approved"
    records = {check.name: check.record() for check in decision.checks}
    assert records["filters"] == {
        "name": "filters", "passed": True, "value": "qty 1 @ 100",
        "limit": "tick 0.01, step 0.001, min notional 5", "reason": "exchange filters met",
    }  # fmt: skip
    assert records["position_size"]["reason"] == (
        "position 100 (held 0 + open 0 + this 100) vs 10% of equity 10000 = 1000"
    )
    assert records["daily_loss"]["value"] == "0%"
    assert records["orders_per_sec"]["reason"] == "0 orders sent in the last second, maximum 2"


def test_a_refusal_names_its_numbers() -> None:
    decision = RiskManager(make_limits()).check(make_intent("20", "100"), make_ctx())
    assert not decision.approved
    assert decision.reason == (
        "position_size: position 2000 (held 0 + open 0 + this 2000) vs 10% of equity 10000 = 1000"
    )
