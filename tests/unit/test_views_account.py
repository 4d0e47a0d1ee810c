"""The account figures the snapshot carries: today's PnL as an amount and as a
percentage of the start-of-day equity, and the open exposure."""

from datetime import UTC, datetime
from decimal import Decimal as D

from tui_trader.core.ledger import Portfolio
from tui_trader.risk.account import AccountTracker
from tui_trader.runtime.views import account_view

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_day_pnl_percentage_is_against_the_start_of_day_equity() -> None:
    book = Portfolio("USDT", {"USDT": D("10000")})
    tracker = AccountTracker()
    tracker.update(book.equity, T0)  # the day starts at 10,000
    book = Portfolio("USDT", {"USDT": D("10012.30")})
    view = account_view(tracker, book)
    assert view.day_pnl == D("12.30")
    assert view.day_pnl_pct == D("0.123")
    assert view.exposure == 0


def test_no_day_start_yet_means_no_day_pnl() -> None:
    view = account_view(AccountTracker(), Portfolio("USDT", {"USDT": D("10000")}))
    assert (view.day_pnl, view.day_pnl_pct) == (D(0), D(0))
