"""The kill-switch dialog: says exactly what will happen; Cancel has the focus."""

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static


@dataclass(frozen=True, slots=True)
class KillChoice:
    close_positions: bool


def kill_plan(open_orders: int, open_positions: int, close_positions: bool) -> str:
    orders = f"{open_orders} open order{'s' if open_orders != 1 else ''}"
    positions = f"{open_positions} open position{'s' if open_positions != 1 else ''}"
    steps = [
        "• block every new order (persisted: a restarted trader stays killed)",
        f"• cancel {orders}",
        f"• close {positions} now" if close_positions else f"• leave {positions} open",
    ]
    return "\n".join(steps)


class KillScreen(ModalScreen[KillChoice | None]):
    AUTO_FOCUS = "#cancel"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, open_orders: int, open_positions: int, already_active: bool) -> None:
        super().__init__(classes="alarm")
        self._orders = open_orders
        self._positions = open_positions
        self._already = already_active

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="kill-dialog") as dialog:
            dialog.border_title = "KILL SWITCH"
            if self._already:
                yield Static("The kill switch is already active.", classes="note")
            yield Static("Activating the kill switch will:", classes="title")
            yield Static(kill_plan(self._orders, self._positions, False), id="kill-plan")
            yield Checkbox(f"Also close {self._positions} open position(s)", id="close-positions")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Activate kill switch", id="confirm", variant="error")

    @on(Checkbox.Changed)
    def _toggled(self, event: Checkbox.Changed) -> None:
        plan = kill_plan(self._orders, self._positions, event.value)
        self.query_one("#kill-plan", Static).update(plan)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(KillChoice(self.query_one("#close-positions", Checkbox).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
