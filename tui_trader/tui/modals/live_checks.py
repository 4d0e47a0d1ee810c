"""Live mode, step 1 of 2: show what live trading needs and refuse if anything is missing."""

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui_trader.snapshot import LiveCheck
from tui_trader.tui.literal import literal_lines
from tui_trader.tui.modals.choice import ChoiceScreen, cancel_button, choice_button


def check_lines(check: LiveCheck) -> Text:
    def mark(ok: bool) -> str:
        return "ok     " if ok else "MISSING"

    venue = [] if check.venue_trades else [f"{mark(False)}  orders on this venue (paper only)"]
    lines = [
        *venue,
        f"{mark(check.token_file_present)}  live token file in the data dir",
        f"{mark(check.keys_in_keyring)}  API key and secret in the OS keyring",
    ]
    text = Text("\n".join(lines))
    if check.detail:  # the keyring's or the file system's own words: shown literally
        text.append("\n\n")
        text.append_text(literal_lines(check.detail, limit=500))
    return text


class LiveCheckScreen(ChoiceScreen[bool]):
    """`y` continues (only when every check passed), `n`/Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "press('continue')", "Continue", show=False),
    ]

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
                yield cancel_button()
                button = choice_button("Yes, continue", "y", "continue", "error")
                button.disabled = not self._check.ready  # y does nothing while it is
                yield button

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.dismiss(self._check.ready)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
