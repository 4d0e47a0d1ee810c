"""Every key on one screen, built from the same table as the bindings."""

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_trader.tui.keys import NAVIGATION_HELP, OPERATOR_KEYS


def keys_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    # Text cells: a str cell in a rich Table is parsed as markup.
    for key in OPERATOR_KEYS:
        table.add_row(Text(key.display or key.key), Text(key.help))
    table.add_row("", "")
    for keys, text in NAVIGATION_HELP:
        table.add_row(Text(keys), Text(text))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", key_display="?"),
        Binding("q", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog") as dialog:
            dialog.border_title = "Keys"
            yield Static(keys_table())
            yield Static("escape closes this screen", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
