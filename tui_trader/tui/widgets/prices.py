"""Prices: last, change, bid/ask/spread, a sparkline of closes and the current signal."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from tui_trader.snapshot import SymbolView, TraderSnapshot
from tui_trader.tui import format as fmt
from tui_trader.tui.widgets.base import Cell, KeyedTable, View

SPARK_WIDTH = 8
# Fits 80 columns: widths plus one cell of padding each side, inside the panel border.
COLUMNS = (
    ("Symbol", 7),
    ("Last", 9),
    ("Chg%", 7),
    ("Bid", 9),
    ("Ask", 9),
    ("Spr%", 6),
    ("Trend", SPARK_WIDTH),
    ("Signal", 6),
)


def price_row(row: SymbolView, view: View) -> tuple[Cell, ...]:
    palette = view.palette
    signal_style = {"BUY": palette.up, "SELL": palette.down}.get(row.signal, palette.muted)
    return (
        row.symbol,
        Text(fmt.price(row.last), justify="right"),
        Text(fmt.pct(row.change_pct), style=palette.direction(row.change_pct), justify="right"),
        Text(fmt.price(row.bid), justify="right"),
        Text(fmt.price(row.ask), justify="right"),
        Text(fmt.small_pct(row.spread_pct), justify="right"),
        Text(fmt.sparkline(row.closes, SPARK_WIDTH), style=palette.direction(row.change_pct)),
        Text(row.signal, style=signal_style),
    )


class PricesPanel(Vertical):
    """Always visible, in both layouts."""

    shown_version = -1

    def __init__(self) -> None:
        super().__init__(id="prices", classes="panel")
        self.border_title = "Prices"

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="prices-table")

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        rows = [(row.symbol, price_row(row, view)) for row in snapshot.prices]
        self.query_one(KeyedTable).sync(rows)
