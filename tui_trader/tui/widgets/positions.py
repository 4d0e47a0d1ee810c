"""Positions: size, entry, mark, unrealized PnL and the exit levels watching them."""

from decimal import Decimal

from rich.text import Text
from textual.app import ComposeResult

from tui_trader.snapshot import PositionView, TraderSnapshot
from tui_trader.tui import format as fmt
from tui_trader.tui.widgets.base import Cell, Column, KeyedTable, TablePanel, View

# Narrow, the highest priority numbers are hidden first: at 80 columns Take and Trail
# (and on futures Lev and uPnL%); the distance to liquidation stays.
COLUMNS = (
    Column("Symbol", 7),
    Column("Qty", 9),
    Column("Entry", 9, 3),
    Column("Mark", 9, 2),
    Column("uPnL", 9),
    Column("uPnL%", 7, 4),
    Column("Stop", 9, 1),
    Column("Take", 9, 5),
    Column("Trail", 9, 6),
)
# "Exch": the stop the exchange itself holds (it protects the position while the
# trader is down); NONE, loud, when a position that should have one has none.
FUTURES_COLUMNS = (
    *COLUMNS,
    Column("Lev", 3, 7),
    Column("Liq%", 5, 1),
    Column("Exch", 9, 2),
)


def _liquidation(distance: Decimal | None) -> str:
    return "-" if distance is None else f"{distance:.1f}"


def position_row(row: PositionView, futures: bool, view: View) -> tuple[Cell, ...]:
    position = row.position
    colour = view.palette.direction(position.unrealized_pnl)
    cells: tuple[Cell, ...] = (
        position.symbol,
        Text(fmt.qty(position.quantity), justify="right"),
        Text(fmt.price(position.average_entry), justify="right"),
        Text(fmt.price(position.mark_price), justify="right"),
        Text(fmt.signed(position.unrealized_pnl), style=colour, justify="right"),
        Text(fmt.pct(position.unrealized_pct), style=colour, justify="right"),
        Text(fmt.optional_price(row.stop_loss), justify="right"),
        Text(fmt.optional_price(row.take_profit), justify="right"),
        Text(fmt.optional_price(row.trailing_stop), justify="right"),
    )
    if not futures:
        return cells
    leverage = Text(f"{position.leverage}x", justify="right")
    liquidation = Text(_liquidation(row.liquidation_distance_pct), justify="right")
    return (*cells, leverage, liquidation, _exchange_stop(row, view))


def _exchange_stop(row: PositionView, view: View) -> Text:
    if row.exchange_stop is not None:
        return Text(fmt.price(row.exchange_stop), justify="right")
    if row.exchange_guarded:
        return Text("NONE", style=view.palette.critical, justify="right")
    return Text("-", justify="right")


class PositionsPanel(TablePanel):
    """Leverage and liquidation columns only exist on futures."""

    shown_version = -1

    def __init__(self, futures: bool) -> None:
        super().__init__(id="positions", classes="panel tab-panel")
        self.border_title = "Positions"
        self._futures = futures

    def compose(self) -> ComposeResult:
        yield KeyedTable(FUTURES_COLUMNS if self._futures else COLUMNS, id="positions-table")

    @property
    def selected_symbol(self) -> str | None:
        return self.query_one(KeyedTable).selected_key

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        rows = [
            (row.position.symbol, position_row(row, self._futures, view))
            for row in snapshot.positions
            if row.position.is_open
        ]
        self.query_one(KeyedTable).sync(rows)
        self.set_note(f"{len(rows)} open")
