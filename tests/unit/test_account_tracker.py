from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.risk.account import AccountTracker

DAY = datetime(2026, 1, 2, tzinfo=UTC)


def value(amount: int) -> Callable[[], Decimal]:
    return lambda: Decimal(amount)


def test_day_start_moves_forward_only() -> None:
    """A reconnect backfill can replay 23:59 after 00:01: the day must not flip back."""
    tracker = AccountTracker()
    assert tracker.update(value(100), DAY)
    assert tracker.day_start == Decimal(100)
    assert not tracker.update(value(90), DAY - timedelta(days=1))
    assert not tracker.update(value(80), DAY + timedelta(hours=23))
    assert tracker.day_start == Decimal(100)
    assert tracker.update(value(80), DAY + timedelta(days=1, minutes=1))
    assert tracker.day_start == Decimal(80)
    assert tracker.peak == Decimal(100)
    assert tracker.as_meta() == f"{(DAY + timedelta(days=1)).isoformat()}|80"


def test_without_a_peak_equity_is_computed_only_when_a_day_begins() -> None:
    calls: list[int] = []

    def equity() -> Decimal:
        calls.append(1)
        return Decimal(100 + len(calls))

    tracker = AccountTracker(track_peak=False)
    assert tracker.update(equity, DAY)
    assert not tracker.update(equity, DAY + timedelta(hours=5))
    assert len(calls) == 1 and tracker.day_start == Decimal(101)
    assert tracker.update(equity, DAY + timedelta(days=1))
    assert len(calls) == 2 and tracker.day_start == Decimal(102)


def test_restore_and_reset() -> None:
    tracker = AccountTracker()
    tracker.restore(DAY, Decimal(70))
    assert not tracker.update(value(50), DAY + timedelta(hours=1))
    assert tracker.day_start == Decimal(70) and tracker.peak == Decimal(50)
    tracker.reset()
    assert (tracker.day, tracker.day_start, tracker.peak) == (None, 0, 0)
