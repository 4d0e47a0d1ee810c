"""The kill-switch dialog: says exactly what will happen; Cancel has the focus."""

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Static

from tui_trader.tui.modals.choice import (
    ChoiceScreen,
    TickBox,
    cancel_button,
    choice_button,
    key_label,
)


@dataclass(frozen=True, slots=True)
class KillChoice:
    close_positions: bool


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def kill_plan(open_orders: int, open_positions: int, close_positions: bool) -> str:
    positions = plural(open_positions, "open position")
    steps = [
        "• block every new order (persisted: a restarted trader stays killed)",
        f"• cancel {plural(open_orders, 'open order')}",
    ]
    if open_positions:
        steps.append(f"• close {positions} now" if close_positions else f"• leave {positions} open")
    return "\n".join(steps)


class KillScreen(ChoiceScreen[KillChoice | None]):
    """`y` activates, `n`/Esc cancels, `a` ticks "also close" (only offered when there
    are positions to close)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "press('confirm')", "Activate", show=False),
        Binding("a", "toggle_close", "Also close", show=False),
    ]

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
            if self._positions:
                label = f"Also close {plural(self._positions, 'open position')}"
                yield TickBox(key_label(label, "a"), id="close-positions")
            with Horizontal(classes="buttons"):
                yield cancel_button()
                yield choice_button("Yes, activate kill switch", "y", "confirm", "error")

    def action_toggle_close(self) -> None:
        for box in self.query("#close-positions").results(Checkbox):
            box.toggle()

    def _close_positions(self) -> bool:
        return any(box.value for box in self.query("#close-positions").results(Checkbox))

    @on(Checkbox.Changed)
    def _toggled(self, event: Checkbox.Changed) -> None:
        plan = kill_plan(self._orders, self._positions, event.value)
        self.query_one("#kill-plan", Static).update(plan)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(KillChoice(self._close_positions()))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
