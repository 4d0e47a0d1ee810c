"""What every confirm dialog shares: the safe button ("No, cancel") has the focus, Esc
and `n` press it, and each other button answers to the letter underlined in its label.
Letters go through the buttons, so a disabled choice cannot be picked by its key."""

from typing import ClassVar, TypeVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox
from textual.widgets.button import ButtonVariant

ResultT = TypeVar("ResultT")
CANCEL_ID = "cancel"


def key_label(label: str, key: str) -> Text:
    """`label` with the first `key` letter underlined (appended as "(key)" if absent)."""
    text = Text(label)
    at = label.lower().find(key)
    if at < 0:
        text.append(f" ({key})")
        at = len(label) + 2
    text.stylize("underline", at, at + 1)
    return text


def choice_button(label: str, key: str, id: str, variant: ButtonVariant = "default") -> Button:
    return Button(key_label(label, key), id=id, variant=variant)


def cancel_button() -> Button:
    return choice_button("No, cancel", "n", CANCEL_ID, "primary")


class ChoiceScreen(ModalScreen[ResultT]):
    """Subclasses add `Binding("<letter>", "press('<button id>')")` for their buttons."""

    AUTO_FOCUS = f"#{CANCEL_ID}"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", f"press('{CANCEL_ID}')", "Cancel"),
        Binding("n", f"press('{CANCEL_ID}')", "Cancel", show=False),
    ]

    def action_press(self, button_id: str) -> None:
        """A letter presses its button, if the dialog offers it (and it is enabled)."""
        for button in self.query(f"#{button_id}").results(Button):
            button.press()


class TickBox(Checkbox):
    """A checkbox that reads without colour (NO_COLOR, the mono theme, a poor terminal):
    `[X]` ticked, `[ ]` not. Textual's own box is a coloured block whose X is always
    drawn, told apart by colour alone."""

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble(("[", style), ("X" if self.value else " ", style), ("]", style))
