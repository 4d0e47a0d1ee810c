"""Asks for one line of text the operator must type on purpose: the live-trading
confirmation phrase (shown as typed) or a secret such as a keyring passphrase (masked).
The screen only collects it; whoever asked decides whether it is right."""

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui_trader.tui.keys import KILL_KEY
from tui_trader.tui.modals.choice import ChoiceScreen, cancel_button


@dataclass(frozen=True, slots=True)
class PassphraseRequest:
    title: str
    prompt: str
    confirm_label: str
    password: bool = False  # masked secrets take every key, the kill key included


LIVE_PHRASE_REQUEST = PassphraseRequest(
    title="Live trading: step 2 of 2",
    prompt="Real money will be traded. To continue, type exactly:\nI_UNDERSTAND_LIVE_TRADING",
    confirm_label="Enable live trading",
)


KEYRING_REQUEST = PassphraseRequest(
    title="Keyring locked",
    prompt="The encrypted keyring file holds your API keys. Passphrase:",
    confirm_label="Unlock",
    password=True,
)


class KillSafeInput(Input):
    """Leaves the kill key to the app's priority binding. Textual lets an Input claim
    every printable key, priority bindings included; the live phrase is upper case, so
    giving up the lower-case kill key costs nothing there."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return key != KILL_KEY and super().check_consume_key(key, character)


class PassphraseScreen(ChoiceScreen[str | None]):
    """The text field has the focus, so letters are typed; Enter confirms, Esc cancels
    (Tab to the buttons, where `n` cancels too)."""

    AUTO_FOCUS = "#phrase"

    def __init__(self, request: PassphraseRequest) -> None:
        super().__init__(classes="alarm")
        self._request = request

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="passphrase-dialog") as dialog:
            dialog.border_title = self._request.title
            yield Static(self._request.prompt)
            if self._request.password:
                yield Input(password=True, id="phrase")
            else:
                yield KillSafeInput(id="phrase")
            with Horizontal(classes="buttons"):
                yield cancel_button()
                yield Button(self._request.confirm_label, id="confirm", variant="error")

    @on(Input.Submitted)
    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(self.query_one("#phrase", Input).value)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
