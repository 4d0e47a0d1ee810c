"""The positions panel on futures shows the stop the exchange holds for each position,
and a loud NONE when the account keeps exchange stops but this position has none."""

from datetime import UTC, datetime
from decimal import Decimal

from rich.text import Text

from tui_trader.domain.portfolio import Position
from tui_trader.snapshot import PositionView
from tui_trader.tui import format as fmt
from tui_trader.tui.widgets.base import Palette, View
from tui_trader.tui.widgets.positions import FUTURES_COLUMNS, position_row

PALETTE = Palette("green", "red", "magenta", "blue", "yellow", "bold red", "grey50")
VIEW = View(datetime(2026, 12, 2, tzinfo=UTC), PALETTE)
LONG = Position("BTCUSDT", Decimal("0.01"), Decimal(50000), mark_price=Decimal(50100))


def exchange_cell(stop: Decimal | None, guarded: bool) -> Text:
    row = PositionView(LONG, Decimal(49000), None, None, None, stop, guarded)
    cells = position_row(row, futures=True, view=VIEW)
    assert len(cells) == len(FUTURES_COLUMNS) and FUTURES_COLUMNS[-1].label == "Exch"
    cell = cells[-1]
    assert isinstance(cell, Text)
    return cell


def test_the_exchange_stop_is_shown_by_its_trigger() -> None:
    cell = exchange_cell(Decimal("49000.0"), guarded=True)
    assert cell.plain == fmt.price(Decimal(49000))
    assert cell.style != PALETTE.critical


def test_a_guarded_account_position_without_an_exchange_stop_is_loud() -> None:
    cell = exchange_cell(None, guarded=True)
    assert (cell.plain, cell.style) == ("NONE", PALETTE.critical)


def test_an_account_without_exchange_stops_shows_a_dash() -> None:
    assert exchange_cell(None, guarded=False).plain == "-"
