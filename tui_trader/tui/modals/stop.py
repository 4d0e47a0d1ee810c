"""Stop trading: keep the positions, or flatten them on the way out."""

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui_trader.tui.modals.choice import ChoiceScreen, cancel_button, choice_button


@dataclass(frozen=True, slots=True)
class StopChoice:
    flatten: bool


class StopScreen(ChoiceScreen[StopChoice | None]):
    """`y` stops (keeping positions), `f` stops and flattens (only offered when there
    are positions), `n`/Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "press('keep')", "Stop", show=False),
        Binding("f", "press('flatten')", "Flatten", show=False),
    ]

    def __init__(self, open_positions: int) -> None:
        super().__init__()
        self._positions = open_positions

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="stop-dialog") as dialog:
            dialog.border_title = "Stop trading"
            yield Static(self._explain())
            with Horizontal(classes="buttons"):
                yield cancel_button()
                if self._positions:
                    yield choice_button("Yes, keep positions", "y", "keep")
                    yield choice_button("Flatten all", "f", "flatten", "warning")
                else:
                    yield choice_button("Yes, stop", "y", "keep", "warning")

    def _explain(self) -> str:
        text = "The strategy stops sending entries and open entry orders are cancelled."
        if not self._positions:
            return f"{text}\nThere are no open positions."
        held = f"{self._positions} open position{'s' if self._positions != 1 else ''}"
        return f"{text}\nThere {'are' if self._positions != 1 else 'is'} {held}: keep them " + (
            "(their stops stay armed), or close them now?"
        )

    @on(Button.Pressed, "#keep")
    def _keep(self) -> None:
        self.dismiss(StopChoice(flatten=False))

    @on(Button.Pressed, "#flatten")
    def _flatten(self) -> None:
        self.dismiss(StopChoice(flatten=True))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
