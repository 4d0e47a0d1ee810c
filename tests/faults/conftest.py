"""The fault suite: every injected fault is a test marked `@pytest.mark.fault(kind,
expect)`. At the end of the run pytest prints one table, fault kind → expected outcome →
result, and one line of totals (orders audited after crashes, duplicates, lost fills,
hangs), which is what the README's fault summary quotes."""

from collections import Counter
from dataclasses import dataclass

import pytest

# Totals that tests add to (`fault_tally`): "crash cycles", "orders audited",
# "duplicate orders", "lost fills"; "hangs" is counted from failures here.
_TALLY: Counter[str] = Counter()
HANG_MARK = "hung past"  # what tests/faults/support.run_cli says of a process that hung


@pytest.fixture
def fault_tally() -> Counter[str]:
    return _TALLY


@dataclass(slots=True)
class FaultOutcome:
    kind: str
    expect: str
    passed: bool = True


_OUTCOMES: dict[str, FaultOutcome] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    outcome = _OUTCOMES.get(report.nodeid)
    if outcome is not None and report.failed:
        outcome.passed = False
        if HANG_MARK in report.longreprtext:
            _TALLY["hangs"] += 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("fault")
        if marker is None:
            continue
        kind, expect = marker.args
        _OUTCOMES[item.nodeid] = FaultOutcome(kind, expect)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _OUTCOMES:
        return
    by_kind: dict[str, FaultOutcome] = {}
    for outcome in _OUTCOMES.values():
        seen = by_kind.setdefault(outcome.kind, FaultOutcome(outcome.kind, outcome.expect))
        seen.passed = seen.passed and outcome.passed
    write = terminalreporter.write_line
    terminalreporter.section("fault suite")
    width = max(len(kind) for kind in by_kind)
    for kind in sorted(by_kind):
        outcome = by_kind[kind]
        verdict = "ok" if outcome.passed else "FAILED"
        write(f"{kind:<{width}}  {verdict:<6}  {outcome.expect}")
    failed = sum(not o.passed for o in by_kind.values())
    write(f"{len(by_kind)} fault kinds, {failed} failed")
    t = _TALLY
    audited = (
        f"{t['orders audited']} orders audited after {t['crash cycles']} kill -9 cycles: "
        f"{t['duplicate orders']} duplicate orders, {t['lost fills']} lost fills; "
        if t["crash cycles"]
        else ""
    )
    write(f"{audited}{t['hangs']} hangs")
