"""Layout: tabs below 160x48, everything at once above; resizing never breaks; panels are
repainted by diff, never rebuilt per tick, and a dialog pauses repainting."""

from collections.abc import Callable

from textual.coordinate import Coordinate
from textual.widgets import DataTable, Tabs
from tui_support import Cockpit, market_ready, wait_for

from tui_trader.tui.app import TABS
from tui_trader.tui.modals.help import HelpScreen
from tui_trader.tui.widgets.safety import SafetyPanel

Make = Callable[..., Cockpit]


def visible_panels(c: Cockpit) -> list[str]:
    return [p.id or "" for p in c.app.query(".tab-panel") if p.display]


async def test_compact_layout_shows_prices_and_one_tab(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        assert c.app.query_one("#prices").display
        assert c.app.query_one(Tabs).display
        assert visible_panels(c) == ["positions"]
        for number, name in enumerate(TABS, 1):
            await pilot.press(str(number))
            assert visible_panels(c) == [name]


async def test_full_layout_shows_everything_and_resizing_switches(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(160, 48)) as pilot:
        await market_ready(pilot, c)
        assert not c.app.query_one(Tabs).display
        # The chart sits beside the prices there, not in the grid of tab panels.
        assert sorted(visible_panels(c)) == sorted(t for t in TABS if t != "chart")
        assert c.app.query_one("#chart-wide").display
        for size in ((80, 24), (200, 60), (40, 10), (159, 48), (160, 48)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
            expected = len(TABS) - 1 if size[0] >= 160 and size[1] >= 48 else 1
            assert len(visible_panels(c)) == expected, size
        # A panel that was hidden catches up as soon as it is shown.
        await pilot.resize_terminal(80, 24)
        await pilot.press("5")
        await wait_for(
            pilot,
            lambda: c.app.query_one(SafetyPanel).shown_version == c.trader.snapshot().version,
            "the safety panel repainted",
        )


async def test_price_rows_are_updated_in_place_not_rebuilt(cockpit: Make) -> None:
    c = cockpit(SIM_SPEED=200)
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c, settled=False)
        table = c.app.query_one("#prices-table", DataTable)
        row_keys = list(table.rows)
        first = [str(table.get_cell_at(Coordinate(row, 1))) for row in range(table.row_count)]
        version = c.app.shown_version
        await wait_for(pilot, lambda: c.app.shown_version > version + 2, "new snapshots shown")
        assert list(table.rows) == row_keys
        assert all(a is b for a, b in zip(table.rows, row_keys, strict=True))  # same objects
        now = [str(table.get_cell_at(Coordinate(row, 1))) for row in range(table.row_count)]
        assert now != first  # the prices moved on screen


async def test_a_dialog_pauses_repainting(cockpit: Make) -> None:
    c = cockpit(SIM_SPEED=200)
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c, settled=False)
        await pilot.press("question_mark")
        assert isinstance(c.app.screen, HelpScreen)
        await pilot.pause(0.1)
        paused_at = c.app.shown_version
        await pilot.pause(0.6)
        assert c.app.shown_version == paused_at
        assert c.trader.snapshot().version > paused_at
        await pilot.press("escape")
        await wait_for(pilot, lambda: c.app.shown_version > paused_at, "repainting again")
