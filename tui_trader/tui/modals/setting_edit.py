"""One setting's editor: the value in a text field, what start-up accepts, and where the
value comes from. Enter saves through start-up's validation; a refusal is shown here,
in one line, and nothing is written; the dialog stays open to correct the value."""

from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui_trader.app.settings_edit import Saved
from tui_trader.app.settings_list import SettingInfo
from tui_trader.config import ConfigError
from tui_trader.tui.literal import literal, literal_lines

# value (None: back to the default) -> what was saved; raises ConfigError to refuse.
SaveSetting = Callable[[str | None], Awaitable[Saved]]


def setting_facts(info: SettingInfo) -> Text:
    """Value, source, what is accepted and the default, as literal text."""
    text = Text()
    text.append("now: ", style="bold")
    text.append_text(literal(info.value or "(empty)"))
    text.append(f"  ({info.source})\n", style="dim")
    text.append("accepts: ", style="bold")
    text.append_text(literal(info.accepts))
    text.append("\ndefault: ", style="bold")
    text.append_text(literal(info.default or "(not set)"))
    text.append("\napplies: ", style="bold")
    text.append("after a restart" if info.restart else "at once (and at every start)")
    return text


def override_warning(info: SettingInfo) -> str:
    """Empty unless the environment sets the name (then `.env` changes nothing) or the
    strategy's own file does (then `.env` changes it for the other strategies only)."""
    warnings = [strategy_choice(info) or ""]
    if info.source == "environment":
        held = f" (.env holds {info.file_value})" if info.file_value is not None else ""
        warnings.insert(
            0,
            f"The environment sets {info.name}, which wins over .env{held}: a value saved "
            f"here takes effect only once {info.name} is unset in the environment.",
        )
    return " ".join(warning for warning in warnings if warning)


def strategy_choice(info: SettingInfo) -> str | None:
    """What the strategy's own file sets instead, if it does."""
    if info.chosen_by is None:
        return None
    return (
        f"The strategy runs with {info.name}={info.chosen_value} from the [settings] of "
        f"{info.chosen_by}; this value applies to other strategies."
    )


class EditSettingScreen(ModalScreen[Saved | None]):
    """The text field has the focus: every letter is typed, `k` included (the kill
    switch is one Esc away); Enter saves, Esc cancels."""

    AUTO_FOCUS = "#setting-value"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, info: SettingInfo, save: SaveSetting) -> None:
        super().__init__()
        self._info = info
        self._save = save

    def compose(self) -> ComposeResult:
        info = self._info
        with Vertical(classes="dialog", id="setting-dialog") as dialog:
            dialog.border_title = f"Edit {info.name}"
            yield Static(setting_facts(info), id="setting-facts")
            if warning := override_warning(info):
                yield Static(literal_lines(warning), classes="note", id="setting-override")
            start = "" if info.masked else info.value
            yield Input(start, id="setting-value", placeholder=info.accepts)
            yield Static("", id="refused")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Reset to default", id="default")
                yield Button("Save to .env", id="save", variant="primary")

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self._try(self.query_one("#setting-value", Input).value)

    @on(Button.Pressed, "#default")
    def _default_pressed(self) -> None:
        self._try(None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(name="save-setting", group="settings", exclusive=True, exit_on_error=False)
    async def _try(self, value: str | None) -> None:
        refused = self.query_one("#refused", Static)
        refused.update("")
        try:
            saved = await self._save(value)
        except ConfigError as exc:
            refused.update(literal_lines(str(exc)))
            return
        self.dismiss(saved)
