"""Issue #14 item 8: a warning repeated every second shows as one row with a count in
the Safety panel, so it does not push every other event off the screen."""

from collections.abc import Callable
from datetime import timedelta

from tui_support import T0, Cockpit, market_ready, screen_plain, wait_for

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind

Make = Callable[..., Cockpit]


async def test_twenty_spread_warnings_are_one_row_counted(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(160, 48)) as pilot:
        await market_ready(pilot, c)
        for second in range(20):
            message = f"BTCUSDT spread {5 + second / 10}% (bid 100, ask 105)"
            ts = T0 + timedelta(seconds=second)
            c.trader.record_safety(
                SafetyEvent(ts, Severity.WARNING, SafetyKind.WIDE_SPREAD, message, "BTCUSDT")
            )
        await wait_for(pilot, lambda: "(×20)" in screen_plain(c.app), "the count on the row")
        table = screen_plain(c.app).splitlines()
        rows = [line for line in table if "WARNING   wide_spread" in line]  # not the log
        assert len(rows) == 1 and "BTCUSDT spread 6.9% (bid 100, ask 105) (×20)" in rows[0]
