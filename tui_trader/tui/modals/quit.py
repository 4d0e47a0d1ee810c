"""Quit while trading is RUNNING: ask first."""

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitScreen(ModalScreen[bool]):
    AUTO_FOCUS = "#cancel"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="quit-dialog") as dialog:
            dialog.border_title = "Quit"
            yield Static(
                "Trading is RUNNING. Quitting stops the engine (positions stay open), "
                "flushes the journal and exits."
            )
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Quit", id="quit", variant="warning")

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
