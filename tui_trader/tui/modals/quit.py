"""Quit while trading is RUNNING: ask first."""

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui_trader.tui.modals.choice import ChoiceScreen, cancel_button, choice_button


class QuitScreen(ChoiceScreen[bool]):
    """`y` (or `q` again) quits, `n`/Esc stays."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "press('quit')", "Quit", show=False),
        Binding("q", "press('quit')", "Quit", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="quit-dialog") as dialog:
            dialog.border_title = "Quit"
            yield Static(
                "Trading is RUNNING. Quitting stops the engine (positions stay open), "
                "flushes the journal and exits."
            )
            with Horizontal(classes="buttons"):
                yield cancel_button()
                yield choice_button("Yes, quit", "y", "quit", "warning")

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
