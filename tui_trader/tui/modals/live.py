"""Live mode, step 1 of 2: show what live trading needs and refuse if anything is missing."""

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui_trader.snapshot import LiveCheck
from tui_trader.tui.literal import literal_lines


def check_lines(check: LiveCheck) -> Text:
    def mark(ok: bool) -> str:
        return "ok     " if ok else "MISSING"

    lines = [
        f"{mark(check.token_file_present)}  live token file in the data dir",
        f"{mark(check.keys_in_keyring)}  API key and secret in the OS keyring",
    ]
    text = Text("\n".join(lines))
    if check.detail:  # the keyring's or the file system's own words: shown literally
        text.append("\n\n")
        text.append_text(literal_lines(check.detail, limit=500))
    return text


class LiveCheckScreen(ModalScreen[bool]):
    AUTO_FOCUS = "#cancel"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, check: LiveCheck) -> None:
        super().__init__(classes="alarm")
        self._check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="live-dialog") as dialog:
            dialog.border_title = "Live trading: step 1 of 2"
            yield Static(check_lines(self._check), id="live-check")
            if self._check.ready:
                yield Static("Next: type the confirmation phrase.", classes="title")
            else:
                yield Static("Live mode refused: requirements are missing.", id="refused")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(
                    "Continue", id="continue", variant="error", disabled=not self._check.ready
                )

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.dismiss(self._check.ready)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
