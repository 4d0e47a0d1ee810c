"""Every non-secret setting, grouped, with its value, where the value comes from and
whether a change needs a restart. Enter edits one, `d` resets it to the default; both
write `.env` (off the event loop) through start-up's validation."""

import asyncio
from collections.abc import Callable, Set
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from tui_trader.app.settings_edit import Saved, save_setting
from tui_trader.app.settings_list import SettingInfo, SettingsListing, list_settings
from tui_trader.config import ConfigError
from tui_trader.tui.literal import literal, literal_lines
from tui_trader.tui.modals.setting_edit import EditSettingScreen, SaveSetting, strategy_choice
from tui_trader.tui.widgets.base import Palette

GROUP_KEY = "group:"
COLUMNS = (("Setting", 26), ("Value", 0), ("Source", 11), ("Applies", 7))
MIN_VALUE_WIDTH = 16
# The app's answer to a save: the line to show (it may apply the value at once).
OnSaved = Callable[[Saved], str]


def value_width(screen_width: int) -> int:
    """What is left for values once the other columns, their padding and a scrollbar
    have their room."""
    fixed = sum(width for _, width in COLUMNS) + 2 * len(COLUMNS) + 3
    return max(MIN_VALUE_WIDTH, screen_width - fixed)


def applies(info: SettingInfo, pending: Set[str], palette: Palette) -> Text:
    """ "pending": saved this session, waiting for a restart."""
    if info.name in pending:
        return Text("pending", style=f"bold {palette.warning}")
    return Text("restart") if info.restart else Text("now", style="bold")


def detail_text(info: SettingInfo, warning_style: str) -> Text:
    """The selected setting in full (the table cuts long values), in at most 5 lines
    at 80 columns."""
    text = literal(f"{info.name}={info.value}", style="bold")
    origin = "the default" if info.source == "default" else f"from {info.source}"
    default = f", default {info.default or 'not set'}" if info.source != "default" else ""
    text.append("\n")
    text.append_text(literal(f"{origin}{default} · accepts {info.accepts}"))
    if info.source == "environment":
        held = f" (.env says {info.file_value})" if info.file_value is not None else ""
        warning = f"set in the environment, which wins over .env{held}: unset it to apply"
        text.append("\n")
        text.append_text(literal(warning, style=warning_style))
    if (chosen := strategy_choice(info)) is not None:
        text.append("\n")
        text.append_text(literal(chosen, style=warning_style))
    return text


class SettingsTable(DataTable[Text]):
    """Enter (select) edits: said in the footer, which DataTable's own binding hides."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Edit")]


class SettingsScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("d", "reset", "Reset to default"),
    ]

    def __init__(
        self, env_file: Path, pending: set[str], on_saved: OnSaved, palette: Palette
    ) -> None:
        super().__init__(id="settings-screen")
        self.env_file = env_file
        self.pending = pending  # the app's: names saved this session, awaiting a restart
        self._on_saved = on_saved
        self._palette = palette
        self.listing: SettingsListing | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-body"):
            title = f"Settings — {self.env_file.absolute()}"
            yield Static(literal(title), id="settings-title")
            yield Static("", id="settings-problem")
            yield SettingsTable(id="settings-table", cursor_type="row", zebra_stripes=True)
            yield Static("reading .env …", id="settings-detail")
            yield Static("", id="settings-note")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        if self.listing is not None:  # values are cut to the width there is
            self._show(self.listing)

    @work(name="settings-read", group="settings", exclusive=True, exit_on_error=False)
    async def reload(self) -> None:
        self.listing = await asyncio.to_thread(list_settings, self.env_file)
        self._show(self.listing)

    def _show(self, listing: SettingsListing) -> None:
        problem = self.query_one("#settings-problem", Static)
        refused = "start-up refuses .env (values shown without it; nothing is saved): "
        problem.update(literal_lines(refused + (listing.problem or "")))
        problem.display = listing.problem is not None
        table = self.query_one("#settings-table", SettingsTable)
        selected = self.selected.name if self.selected else None
        table.clear(columns=True)
        for label, width in COLUMNS:
            table.add_column(label, width=width or value_width(self.size.width), key=label)
        group = ""
        for info in listing.settings:
            if info.group != group:
                group = info.group
                title = Text(group.upper(), style="bold")
                table.add_row(title, Text(), Text(), Text(), key=GROUP_KEY + group)
            table.add_row(*self._cells(info), key=info.name)
        if selected is not None:
            table.move_cursor(row=table.get_row_index(selected))
        else:
            table.move_cursor(row=1)  # the first setting, under its group's title
        table.focus()
        self._describe()

    def _cells(self, info: SettingInfo) -> tuple[Text, Text, Text, Text]:
        env = info.source == "environment" or info.chosen_by is not None
        shown = "strategy" if info.chosen_by is not None else info.source
        source = Text(shown, style=f"bold {self._palette.warning}" if env else "")
        value = literal(info.value, limit=value_width(self.size.width))
        return (Text(info.name), value, source, applies(info, self.pending, self._palette))

    @property
    def selected(self) -> SettingInfo | None:
        if self.listing is None:
            return None
        table = self.query_one("#settings-table", SettingsTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((info for info in self.listing.settings if info.name == key), None)

    @on(DataTable.RowHighlighted, "#settings-table")
    def _describe(self) -> None:
        """The selected setting in full: its value is cut short in the table."""
        info = self.selected
        detail = self.query_one("#settings-detail", Static)
        if info is None:
            detail.update("Enter edits · d resets to the default · Esc closes")
            return
        detail.update(detail_text(info, f"bold {self._palette.warning}"))

    @on(DataTable.RowSelected, "#settings-table")
    def _row_chosen(self) -> None:
        self.action_edit()

    def action_edit(self) -> None:
        info = self._editable()
        if info is not None:
            save = self._saver(info.name)
            self.app.push_screen(EditSettingScreen(info, save), self._edited)

    def action_reset(self) -> None:
        info = self._editable()
        if info is None:
            return
        if info.source == "default" or (info.source == "environment" and info.file_value is None):
            self._note(f"{info.name}: .env has no line for it; nothing to reset")
            return
        self._reset(info.name)

    @work(name="settings-reset", group="settings", exclusive=True, exit_on_error=False)
    async def _reset(self, name: str) -> None:
        try:
            saved = await self._saver(name)(None)
        except ConfigError as exc:
            self._note(str(exc), error=True)
            return
        self._edited(saved)

    def _editable(self) -> SettingInfo | None:
        """The selected setting, unless `.env` is unreadable (nothing is written then)."""
        if self.listing is not None and self.listing.problem:
            self._note(f"fix .env first: {self.listing.problem}", error=True)
            return None
        return self.selected

    def _saver(self, name: str) -> SaveSetting:
        async def save(value: str | None) -> Saved:
            return await asyncio.to_thread(save_setting, self.env_file, name, value)

        return save

    def _edited(self, saved: Saved | None) -> None:
        if saved is None:
            return
        if saved.restart and not saved.overridden:
            self.pending.add(saved.name)
        self._note(self._on_saved(saved))
        self.reload()

    def _note(self, line: str, error: bool = False) -> None:
        """The outcome stays on the screen's last line until the next one."""
        self.query_one("#settings-note", Static).update(
            literal_lines(line, style=f"bold {self._palette.critical}" if error else "bold")
        )

    def action_close(self) -> None:
        self.dismiss(None)
