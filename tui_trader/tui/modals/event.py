"""One safety event in full: a table cell holds 60 characters, an 80-column terminal
fewer still, and an exchange's error message is often longer."""

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent
from tui_trader.tui.literal import literal, literal_lines

DETAIL_CHARS = 4000


def event_detail(event: SafetyEvent) -> Text:
    text = Text(f"{event.ts.isoformat(timespec='seconds')}  {event.severity.value}  ")
    text.append_text(literal(event.kind))
    if event.symbol:
        text.append("  ")
        text.append_text(literal(event.symbol))
    text.append("\n\n")
    text.append_text(literal_lines(event.message, limit=DETAIL_CHARS))
    return text


class EventDetailScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, event: SafetyEvent) -> None:
        super().__init__(classes="alarm" if event.severity is Severity.CRITICAL else "")
        self._event = event

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="event-dialog") as dialog:
            dialog.border_title = "Safety event"
            with VerticalScroll(id="event-text"):
                yield Static(event_detail(self._event), id="event-detail")
            yield Static("escape or enter closes", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
