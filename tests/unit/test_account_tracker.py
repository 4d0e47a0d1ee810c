from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.views import AccountTracker

DAY = datetime(2026, 1, 2, tzinfo=UTC)


def test_day_start_moves_forward_only() -> None:
    """A reconnect backfill can replay 23:59 after 00:01: the day must not flip back."""
    tracker = AccountTracker()
    assert tracker.update(Decimal(100), DAY)
    assert tracker.day_start == Decimal(100)
    assert not tracker.update(Decimal(90), DAY - timedelta(days=1))
    assert not tracker.update(Decimal(80), DAY)
    assert tracker.day_start == Decimal(100)
    assert tracker.update(Decimal(80), DAY + timedelta(days=1))
    assert tracker.day_start == Decimal(80)
    assert tracker.peak == Decimal(100)
