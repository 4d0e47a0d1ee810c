"""Prices: last, change, bid/ask/spread, a sparkline of closes and the current signal."""

from rich.text import Text
from textual.app import ComposeResult

from tui_trader.snapshot import SymbolView, TraderSnapshot
from tui_trader.tui import format as fmt
from tui_trader.tui.widgets.base import Cell, Column, KeyedTable, TablePanel, View

SPARK_WIDTH = 8
SIGNAL_WIDTH = 6
# Fits 80 columns: widths plus one cell of padding each side, inside the panel border.
# Narrower, the highest priority numbers are hidden first.
COLUMNS = (
    Column("Symbol", 7),
    Column("Last", 9),
    Column("Chg%", 7, 2),
    Column("Bid", 9, 4),
    Column("Ask", 9, 3),
    Column("Spr%", 6, 6),
    Column("Trend", SPARK_WIDTH, 5),
    Column("Signal", SIGNAL_WIDTH, 1),
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
        Text(signal_label(row), style=signal_style),
    )


def signal_label(row: SymbolView) -> str:
    """The signal, or the warm-up count (`W 7/21`; the panel's subtitle spells it out)."""
    if row.warmup is None:
        return row.signal
    count = f"{row.warmup[0]}/{row.warmup[1]}"
    return f"W {count}" if len(count) + 2 <= SIGNAL_WIDTH else count


def warmup_note(rows: tuple[SymbolView, ...]) -> str:
    """`WARMUP 7/21` for the symbol furthest from its first signal, or "" when all are warm."""
    counts = [row.warmup for row in rows if row.warmup is not None]
    if not counts:
        return ""
    done, need = min(counts, key=lambda count: count[0] - count[1])
    return f"WARMUP {done}/{need}: first signal after {need} candles"


class PricesPanel(TablePanel):
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
        self.set_note(warmup_note(snapshot.prices))
