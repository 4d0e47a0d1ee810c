"""The dialog that clears the kill switch: which kill it is (source, reason, time), and a
Clear button that works only once the operator has typed CLEAR. Esc cancels."""

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui_trader.snapshot import KillView
from tui_trader.text_safety import printable
from tui_trader.tui.modals.choice import ChoiceScreen, cancel_button, choice_button
from tui_trader.tui.modals.passphrase import KillSafeInput

CLEAR_WORD = "CLEAR"


def typed_clear(value: str) -> bool:
    return value.strip().upper() == CLEAR_WORD


def kill_details(kill: KillView | None, flat_proof: str) -> Text:
    if kill is None:
        return Text("The kill switch is active (no details).")
    at = kill.activated_at
    when = f"{at:%Y-%m-%d %H:%M:%S %Z}".rstrip() if at is not None else "unknown"
    rows = [
        ("Source", printable(kill.source, 40)),
        ("Reason", printable(kill.reason, 120)),
        ("Since", when),
    ]
    if kill.close_positions:
        rows.append(("Positions", f"closed by the kill {flat_proof}".rstrip()))
    text = Text()
    for label, value in rows:
        text.append(f"{label + ':':<10} ", style="bold")
        text.append(f"{value}\n")
    text.rstrip()
    return text


class ClearKillScreen(ChoiceScreen[bool | None]):
    """The word field has the focus, so letters are typed; Enter or `y` (from the
    buttons) clears once the word is right, Esc cancels. The kill key still kills."""

    AUTO_FOCUS = "#clear-word"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "press('confirm')", "Clear", show=False),
    ]

    def __init__(self, kill: KillView | None, flat_proof: str = "") -> None:
        super().__init__(classes="alarm")
        self._kill = kill
        self._flat_proof = flat_proof

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="clear-kill-dialog") as dialog:
            dialog.border_title = "Clear the kill switch"
            yield Static(kill_details(self._kill, self._flat_proof), id="kill-details")
            yield Static(
                "Clearing it lets trading start again (press s afterwards).\n"
                f"To clear the kill switch, type {CLEAR_WORD}:",
                classes="title",
            )
            yield KillSafeInput(id="clear-word")
            with Horizontal(classes="buttons"):
                yield cancel_button()
                confirm = choice_button("Yes, clear kill switch", "y", "confirm", "error")
                confirm.disabled = True
                yield confirm

    @on(Input.Changed, "#clear-word")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = not typed_clear(event.value)

    @on(Input.Submitted, "#clear-word")
    def _submitted(self, event: Input.Submitted) -> None:
        if typed_clear(event.value):
            self.dismiss(True)
        else:
            self.notify(f"Type {CLEAR_WORD} to clear the kill switch.", severity="warning")

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        if typed_clear(self.query_one("#clear-word", Input).value):
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
