"""Stop trading: keep the positions, or flatten them on the way out."""

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


@dataclass(frozen=True, slots=True)
class StopChoice:
    flatten: bool


class StopScreen(ModalScreen[StopChoice | None]):
    AUTO_FOCUS = "#cancel"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, open_positions: int) -> None:
        super().__init__()
        self._positions = open_positions

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="stop-dialog") as dialog:
            dialog.border_title = "Stop trading"
            yield Static(
                "The strategy stops sending entries and open entry orders are cancelled.\n"
                f"There are {self._positions} open position(s): keep them (their stops "
                "stay armed), or close them now?"
            )
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Stop, keep positions", id="keep")
                yield Button("Stop and flatten", id="flatten", variant="warning")

    @on(Button.Pressed, "#keep")
    def _keep(self) -> None:
        self.dismiss(StopChoice(flatten=False))

    @on(Button.Pressed, "#flatten")
    def _flatten(self) -> None:
        self.dismiss(StopChoice(flatten=True))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
