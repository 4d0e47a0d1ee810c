"""Issue #14 item 7, narrow terminals: at 80 columns no table cuts a column silently. The
least important columns are hidden (the panel's subtitle says how many and how to see
them), come back when the terminal widens, and a cell still cut ends in "…"."""

from collections.abc import Callable

from textual.widget import Widget
from tui_support import Cockpit, market_ready, screen_plain, wait_for

from tui_trader.tui.widgets.base import WIDE_KEY, Column, KeyedTable, TablePanel, fit_columns

Make = Callable[..., Cockpit]
TAB_KEYS = {"positions": "1", "orders": "2", "account": "3", "advice": "4", "safety": "5"}


def shown_tables(c: Cockpit) -> list[KeyedTable]:
    return [t for t in c.app.query(KeyedTable) if all(w.display for w in (t, *t.ancestors))]


def header_line(c: Cockpit, table: KeyedTable) -> str:
    """The screen line of the table's header, inside the panel border."""
    region = table.content_region
    line = screen_plain(c.app).splitlines()[region.y]
    return line[region.x : region.right]


def assert_headers_whole(c: Cockpit, table: KeyedTable) -> None:
    labels = [str(column.label) for column in table.columns.values()]
    widths = sum(column.get_render_width(table) for column in table.columns.values())
    assert widths <= table.column_room, (table.id, widths, table.column_room)
    if table.show_header:
        header = header_line(c, table)
        assert header.split() == [word for label in labels for word in label.split()], header
    for hidden in table.hidden_columns:
        assert hidden not in labels


def panel_of(table: Widget) -> TablePanel:
    return next(a for a in table.ancestors if isinstance(a, TablePanel))


async def test_at_80_columns_headers_are_whole_and_hidden_columns_are_named(
    cockpit: Make,
) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        hidden: dict[str, list[str]] = {}
        for key in TAB_KEYS.values():
            await pilot.press(key)
            await pilot.pause(0.1)
            for table in shown_tables(c):
                assert_headers_whole(c, table)
                hidden[table.id or ""] = table.hidden_columns
        assert hidden["prices-table"] == []
        assert hidden["positions-table"] == ["Take", "Trail"]
        assert hidden["orders-table"] == ["Mkt time", "Client id"]
        assert hidden["safety-table"] == []  # the message gives up width instead
        await pilot.press(TAB_KEYS["positions"])
        await pilot.pause(0.1)
        screen = screen_plain(c.app)
        assert "0 open · +2 cols hidden: widen or w ─╯" in screen
        await pilot.press(TAB_KEYS["orders"])
        await pilot.pause(0.1)
        assert "+2 cols hidden: widen or w" in screen_plain(c.app)
        # A cell cut to its column ends in "…": the start-up safety event's message.
        await pilot.press(TAB_KEYS["safety"])
        await pilot.pause(0.1)
        [row] = [line for line in screen_plain(c.app).splitlines() if "at start:" in line]
        assert "…" in row and "running" not in row, row


async def test_at_160_columns_every_column_shows(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(160, 48)) as pilot:
        await market_ready(pilot, c)
        await pilot.pause(0.1)
        tables = shown_tables(c)
        assert {"prices-table", "positions-table", "orders-table", "safety-table"} <= {
            t.id for t in tables
        }
        for table in tables:
            assert table.hidden_columns == [], table.id
            assert_headers_whole(c, table)
        assert "hidden" not in screen_plain(c.app)


async def test_widening_brings_columns_back_and_narrowing_hides_them(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        positions = c.app.query_one("#positions-table", KeyedTable)
        assert positions.hidden_columns == ["Take", "Trail"]
        await pilot.resize_terminal(160, 48)
        await wait_for(pilot, lambda: not positions.hidden_columns, "every position column")
        assert "Trail" in header_line(c, positions).split()
        assert "hidden" not in str(panel_of(positions).border_subtitle)
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: bool(positions.hidden_columns), "columns hidden again")
        assert "+2 cols hidden" in str(panel_of(positions).border_subtitle)


async def test_the_wide_key_shows_every_column_and_fits_again(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        positions = c.app.query_one("#positions-table", KeyedTable)
        await pilot.press(WIDE_KEY)
        await pilot.pause(0.1)
        assert positions.hidden_columns == []
        assert "wide: ←→ scroll, w fit" in str(panel_of(positions).border_subtitle)
        await pilot.press(WIDE_KEY)
        await pilot.pause(0.1)
        assert positions.hidden_columns == ["Take", "Trail"]


def test_fit_columns_shrinks_the_elastic_column_then_hides_by_priority() -> None:
    columns = [Column("A", 5), Column("B", 5, 2), Column("C", 5, 1), Column("Msg", 20, 0, 8)]
    assert fit_columns(columns, 100, 2) == (5, 5, 5, 20)
    assert fit_columns(columns, 35, 2) == (5, 5, 5, 12)  # the message gives up width first
    assert fit_columns(columns, 25, 2) == (5, None, 5, 9)  # then B (the higher number) hides
    assert fit_columns(columns, 12, 2) == (5, None, None, 8)  # too narrow: the rest scroll
