"""Safety events, newest first, coloured by severity."""

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable

from tui_trader.domain.events import SafetyEvent
from tui_trader.snapshot import TraderSnapshot
from tui_trader.tui import format as fmt
from tui_trader.tui.literal import literal
from tui_trader.tui.modals.event import EventDetailScreen
from tui_trader.tui.widgets.base import Cell, Column, KeyedTable, TablePanel, View

MESSAGE_CHARS = 300  # messages quote exchange and LLM replies; the cell shows 60
# Narrow, the message gives up width (its cells end in "…") before Symbol or Time hide.
COLUMNS = (
    Column("Time", 8, 2),
    Column("Severity", 8),
    Column("Kind", 16),
    Column("Symbol", 7, 3),
    Column("Message", 60, min_width=20),
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
        literal(repeated(event), style, MESSAGE_CHARS),
    )


def repeated(event: SafetyEvent) -> str:
    """The message, with how many times it came when repeats were coalesced."""
    count = event.data.get("repeats")
    return f"{event.message} (×{count})" if isinstance(count, int) and count > 1 else event.message


class SafetyPanel(TablePanel):
    """Enter on a row shows the whole event (the Message cell is cut at 60 columns, fewer
    on a narrow terminal, and ends in "…")."""

    shown_version = -1

    def __init__(self) -> None:
        super().__init__(id="safety", classes="panel tab-panel")
        self.border_title = "Safety events"
        self._events: dict[str, SafetyEvent] = {}

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="safety-table")

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        rows: dict[str, tuple[Cell, ...]] = {}
        events: dict[str, SafetyEvent] = {}
        for event in snapshot.safety_events:
            key = event_key(event)
            if key not in rows:
                rows[key], events[key] = event_row(event, view), event
        self._events = events
        self.query_one(KeyedTable).sync(list(rows.items()))
        self.set_note("enter: full text" if rows else "")

    @on(DataTable.RowSelected)
    def _show_event(self, message: DataTable.RowSelected) -> None:
        event = self._events.get(str(message.row_key.value))
        if event is not None:
            self.app.push_screen(EventDetailScreen(event))
