"""Close one position: an order goes out, so ask first, like stop and kill do."""

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui_trader.domain.money import quote_places
from tui_trader.domain.portfolio import Position
from tui_trader.tui import format as fmt
from tui_trader.tui.literal import literal
from tui_trader.tui.modals.choice import ChoiceScreen, cancel_button, choice_button


def close_plan(position: Position) -> Text:
    side = "sell" if position.quantity > 0 else "buy back"
    text = Text("Send an order to ")
    text.append(f"{side} {abs(position.quantity)} ")
    text.append_text(literal(position.symbol))  # a symbol is outside text
    text.append(f" at about {fmt.price(position.mark_price)}")
    places = quote_places(position.symbol)
    text.append(f"\nUnrealized PnL now: {fmt.money(position.unrealized_pnl, places)}")
    return text


class ClosePositionScreen(ChoiceScreen[bool]):
    """`y` sends the close, `n`/Esc keeps the position."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "press('close')", "Close", show=False),
    ]

    def __init__(self, position: Position) -> None:
        super().__init__()
        self._position = position

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="close-dialog") as dialog:
            dialog.border_title = "Close position"
            yield Static(close_plan(self._position), id="close-plan")
            with Horizontal(classes="buttons"):
                yield cancel_button()
                yield choice_button("Yes, close it", "y", "close", "warning")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
