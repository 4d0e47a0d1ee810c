"""What reaches the terminal: a changed price repaints its cell, not the table; an
unchanged subtitle repaints nothing; a burst of log lines scrolls the log once; the
ticking clock does not relayout the screen.

Textual keeps a widget's pending repaint regions (`_dirty_regions`) and its layout
requests (`_layout_updates`) private; these tests read them because the bytes sent to
the terminal follow from exactly those (tests/benchmarks/bench_tui.py measures the bytes
themselves)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Self

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.geometry import Region
from textual.widgets import RichLog, Static
from tui_support import Cockpit, market_ready

from tui_trader.clock import SimulatedClock
from tui_trader.tui.widgets.base import KeyedTable, set_subtitle
from tui_trader.tui.widgets.log import FLUSH_S, MAX_LINES, LogPanel

COLUMNS = (("Symbol", 7), ("Last", 9), ("Chg%", 7))
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class CountingPanel(Vertical):
    """Counts the repaints asked of it."""

    refreshes = 0

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        self.refreshes += 1
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)


class Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS)
        yield CountingPanel()
        yield LogPanel(lambda: T0)


def shown_row(table: KeyedTable, key: str) -> list[str]:
    """Cells are stored as literal Text (never markup strings): compare their text."""
    return [str(cell) for cell in table.get_row(key)]


def rows(btc: str, eth: str) -> list[tuple[str, tuple[str, ...]]]:
    return [("BTCUSDT", ("BTCUSDT", btc, "+0.10%")), ("ETHUSDT", ("ETHUSDT", eth, "-0.20%"))]


async def test_a_changed_price_repaints_only_its_cell() -> None:
    app = Harness()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync(rows("60000.00", "3000.00"))
        await pilot.pause()
        # The header row may still be pending from the first paint; a full repaint would
        # replace the whole set with the table's outer region (60x3).
        pending = set(table._dirty_regions)
        assert Region(0, 0, 60, 3) not in pending
        table.sync(rows("60000.00", "3001.50"))
        # Row 2 under the header, column 2 after "Symbol" (7 + one cell of padding each
        # side): one line, as wide as the column and its padding.
        assert table._dirty_regions == pending | {Region(9, 2, 11, 1)}
        await pilot.pause()
        assert shown_row(table, "ETHUSDT") == ["ETHUSDT", "3001.50", "-0.20%"]
        assert shown_row(table, "BTCUSDT") == ["BTCUSDT", "60000.00", "+0.10%"]
        pending = set(table._dirty_regions)
        table.sync(rows("60000.00", "3001.50"))  # nothing changed: nothing to repaint
        assert table._dirty_regions == pending


async def test_renders_of_past_updates_are_not_kept() -> None:
    """Every cached render is keyed by DataTable's update counter, so none made before an
    update can be used again; kept, they filled the caches (10,000 cells) and every full
    garbage collection had to walk them."""
    app = Harness()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        for n in range(40):
            table.sync(rows(f"{60000 + n}.00", f"{3000 + n}.00"))
            await pilot.pause()
        cells = (table.row_count + 1) * len(COLUMNS)  # the header row is cached too
        assert 0 < len(table._cell_render_cache) <= cells
        assert len(table._row_render_cache) <= table.row_count + 1
        assert shown_row(table, "BTCUSDT") == ["BTCUSDT", "60039.00", "+0.10%"]


async def test_new_rows_still_rebuild_the_table() -> None:
    app = Harness()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync(rows("60000.00", "3000.00")[:1])
        await pilot.pause()
        table.sync(rows("60000.00", "3000.00"))
        assert table.keys == ["BTCUSDT", "ETHUSDT"]
        assert table.row_count == 2
        await pilot.pause()
        assert shown_row(table, "ETHUSDT") == ["ETHUSDT", "3000.00", "-0.20%"]


async def test_an_unchanged_subtitle_repaints_nothing() -> None:
    app = Harness()
    async with app.run_test(size=(60, 20)) as pilot:
        panel = app.query_one(CountingPanel)
        await pilot.pause()
        before = panel.refreshes
        set_subtitle(panel, "0 open")
        set_subtitle(panel, "0 open")
        assert panel.refreshes == before + 1
        set_subtitle(panel, "1 open")
        assert panel.refreshes == before + 2
        assert panel.border_subtitle == "1 open"


async def test_a_burst_of_log_lines_is_written_at_once_and_none_is_lost() -> None:
    app = Harness()
    async with app.run_test(size=(60, 20)) as pilot:
        panel = app.query_one(LogPanel)
        lines = app.query_one(RichLog)
        await pilot.pause()
        for n in range(MAX_LINES + 100):
            panel.write_line(f"line {n}")
        assert not lines.lines  # held back until the flush
        await pilot.pause(FLUSH_S + 0.2)
        shown = [strip.text.rstrip() for strip in lines.lines]
        assert len(shown) == MAX_LINES
        assert shown[0] == "12:00:00 line 100"
        assert shown[-1] == f"12:00:00 line {MAX_LINES + 99}"
        panel.write_line("later")
        await pilot.pause(FLUSH_S + 0.2)
        assert lines.lines[-1].text.rstrip() == "12:00:00 later"


async def test_the_ticking_clock_repaints_without_a_relayout(
    cockpit: Callable[..., Cockpit],
) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        clock = c.app.clock
        assert isinstance(clock, SimulatedClock)
        label = c.app.query_one("#clock", Static)
        layouts = label._layout_updates
        clock.advance(timedelta(seconds=1))
        c.app.refresh_panels()
        assert str(label.content) == "12:00:01 UTC"
        assert label._layout_updates == layouts
