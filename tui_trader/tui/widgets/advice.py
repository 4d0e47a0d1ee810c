"""The LLM advisor's latest advice per symbol, or why there is none."""

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from tui_trader.snapshot import AdviceView, TraderSnapshot
from tui_trader.text_safety import printable
from tui_trader.tui import format as fmt
from tui_trader.tui.widgets.base import Cell, Column, KeyedTable, TablePanel, View

EMPTY_TEXT = "LLM advisor off"
REASONING_CHARS = 300  # the cell shows 60; an invalid reply's error can be kilobytes
# Narrow, the reasoning gives up width (its cells end in "…") before When or ms hide.
COLUMNS = (
    Column("Symbol", 8),
    Column("Action", 6),
    Column("Conf", 4, 2),
    Column("When", 8, 3),
    Column("ms", 6, 4),
    Column("Reasoning", 60, min_width=20),
)


def advice_row(advice: AdviceView, view: View) -> tuple[Cell, ...]:
    palette = view.palette
    style = {"BUY": palette.up, "SELL": palette.down}.get(advice.action, palette.muted)
    action = advice.action if advice.valid else "INVALID"
    return (
        advice.symbol,
        Text(action, style=style if advice.valid else palette.critical),
        Text(f"{advice.confidence:.2f}", justify="right"),
        fmt.clock(advice.at),
        Text(f"{advice.latency_ms:.0f}", justify="right"),
        printable(advice.reasoning, REASONING_CHARS),  # the model's words, shown literally
    )


class AdvicePanel(TablePanel):
    shown_version = -1

    def __init__(self) -> None:
        super().__init__(id="advice", classes="panel tab-panel")
        self.border_title = "LLM advice"

    def compose(self) -> ComposeResult:
        yield Static(EMPTY_TEXT, id="advice-empty", classes="empty")
        yield KeyedTable(COLUMNS, id="advice-table")
        yield Static("History (newest first)", id="advice-history-title", classes="subtitle")
        yield KeyedTable(COLUMNS, id="advice-history")

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        rows = [(advice.symbol, advice_row(advice, view)) for advice in snapshot.advice]
        # Keyed by position (newest first): a new advice shifts the rows, updated by diff.
        history = [(f"h{i}", advice_row(a, view)) for i, a in enumerate(snapshot.advice_history)]
        self.query_one("#advice-empty", Static).display = not rows
        latest = self.query_one("#advice-table", KeyedTable)
        latest.display = bool(rows)
        latest.sync(rows)
        past = self.query_one("#advice-history", KeyedTable)
        self.query_one("#advice-history-title", Static).display = bool(history)
        past.display = bool(history)
        past.sync(history)
        self.refresh_subtitle()  # a table shown or hidden: its hidden columns count or not
