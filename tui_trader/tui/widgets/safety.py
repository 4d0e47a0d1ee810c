"""Safety events, newest first, coloured by severity."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from tui_trader.domain.events import SafetyEvent
from tui_trader.snapshot import TraderSnapshot
from tui_trader.tui import format as fmt
from tui_trader.tui.literal import literal
from tui_trader.tui.widgets.base import Cell, KeyedTable, View

MESSAGE_CHARS = 300  # messages quote exchange and LLM replies; the cell shows 60
COLUMNS = (
    ("Time", 8),
    ("Severity", 8),
    ("Kind", 16),
    ("Symbol", 7),
    ("Message", 60),
)


def event_key(event: SafetyEvent) -> str:
    return f"{event.ts.isoformat()}|{event.kind}|{event.symbol}|{event.message}"


def event_row(event: SafetyEvent, view: View) -> tuple[Cell, ...]:
    style = view.palette.severity(event.severity)
    return (
        fmt.clock(event.ts),
        Text(event.severity.value, style=style),
        event.kind,
        event.symbol,
        literal(event.message, style, MESSAGE_CHARS),
    )


class SafetyPanel(Vertical):
    shown_version = -1

    def __init__(self) -> None:
        super().__init__(id="safety", classes="panel tab-panel")
        self.border_title = "Safety events"

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="safety-table")

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        rows: dict[str, tuple[Cell, ...]] = {}
        for event in snapshot.safety_events:
            rows.setdefault(event_key(event), event_row(event, view))
        self.query_one(KeyedTable).sync(list(rows.items()))
