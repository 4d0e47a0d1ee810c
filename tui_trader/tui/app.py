"""The terminal cockpit: a view and controller over the trader's command API.

Panels repaint from immutable snapshots on a fixed-rate timer; the trader's edge tasks run
as named workers whose failures go to the trader from one Worker.StateChanged handler."""

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.notifications import SeverityLevel
from textual.widgets import DataTable, Footer, Tab, Tabs
from textual.worker import Worker, WorkerState

from tui_trader.clock import Clock, SystemClock
from tui_trader.config import ENV_FILE, Settings
from tui_trader.domain.enums import MarketKind
from tui_trader.secrets import RedactingFilter, SecretsError
from tui_trader.secrets.process_store import passphrase_needed, unlock_secrets
from tui_trader.snapshot import TraderSnapshot
from tui_trader.text_safety import printable, printable_lines
from tui_trader.tui.actions import COMMAND_GROUP, CORE_GROUP, OperatorActions
from tui_trader.tui.alerts import ALERT_TIMEOUT, CriticalAlerts, tab_label
from tui_trader.tui.alerts import toast as alert_toast
from tui_trader.tui.hosted_trader import HostableTrader
from tui_trader.tui.keys import OPERATOR_KEYS
from tui_trader.tui.messages import CommandFinished, PanelsRefreshed
from tui_trader.tui.modals.passphrase import KEYRING_REQUEST, PassphraseScreen
from tui_trader.tui.themes import (
    MONO_THEME,
    TRADING_VARIABLE_DEFAULTS,
    install_themes,
    themes_dir,
)
from tui_trader.tui.widgets.account import AccountPanel
from tui_trader.tui.widgets.advice import AdvicePanel
from tui_trader.tui.widgets.base import WIDE_FROM, KeyedTable, Palette, SnapshotView, View
from tui_trader.tui.widgets.chart import ChartPanel
from tui_trader.tui.widgets.header import StatusBar
from tui_trader.tui.widgets.log import LogPanel, PanelLogHandler
from tui_trader.tui.widgets.orders import OrdersPanel
from tui_trader.tui.widgets.positions import PositionsPanel
from tui_trader.tui.widgets.prices import PricesPanel
from tui_trader.tui.widgets.safety import SafetyPanel

REFRESH_HZ = 4
TOAST_CHARS = 500  # a toast quoting a whole HTML error page helps nobody
TABS = ("positions", "orders", "account", "advice", "safety", "log", "chart")
SUCCESS_TEXT = {
    "start": "Trading started.",
    "stop": "Trading stopped.",
    "kill": "Kill switch ACTIVE: orders blocked.",
    "clear_kill": "Kill switch cleared: press s to start trading.",
    "reset": "Engine reset to IDLE.",
    "enable_live": "LIVE trading enabled.",
}


class TraderApp(OperatorActions):
    CSS_PATH = "app.tcss"
    TITLE = "tui-trader"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        *(key.binding() for key in OPERATOR_KEYS),
        *(Binding(str(n), f"show_tab({n})", show=False) for n in range(1, len(TABS) + 1)),
    ]
    # Everything at once only when there is room for it; otherwise tabs.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_FROM, "-wide")]  # noqa: RUF012 (typed by App)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (48, "-tall")]  # noqa: RUF012 (typed by App)

    def __init__(
        self,
        settings: Settings,
        trader: HostableTrader,
        *,
        theme: str | None,
        clock: Clock,
        env_file: Path,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.env_file = env_file  # the settings screen edits it
        self.settings_pending: set[str] = set()  # saved there, waiting for a restart
        self.trader = trader
        self.clock = clock
        self.requested_theme = theme or settings.theme
        self.trader_themes: tuple[str, ...] = ()
        self.trader_palette = Palette.from_variables(TRADING_VARIABLE_DEFAULTS)
        self.shown_version = -1
        self.shutting_down = False
        self.trader_state = "new"  # new -> open -> closing -> closed
        self._start_when_open = False  # `s` pressed while the trader was opening
        self.open_error: Exception | None = None  # why the trader did not open
        self.close_error: Exception | None = None  # why its close failed (unwritten records)
        self._log_handler: PanelLogHandler | None = None
        self._last_state = ""
        self._killed = False  # the footer offers "clear kill" only while killed
        self._edge_tasks: dict[str, Callable[[], Awaitable[None]]] = {}
        self.alerts = CriticalAlerts()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(TRADING_VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal(id="top"):
            yield PricesPanel()
            yield self._chart("chart-wide", "panel")  # beside the prices at 160x48 and up
        yield Tabs(
            *(Tab(f"{n} {name.title()}", id=f"tab-{name}") for n, name in enumerate(TABS, 1)),
            id="panel-tabs",
        )
        with Container(id="panels"):
            yield PositionsPanel(futures=self.settings.market_type is MarketKind.FUTURES)
            yield AccountPanel()
            yield OrdersPanel()
            yield AdvicePanel()
            yield SafetyPanel()
            yield LogPanel(self.clock.now)
            yield self._chart("chart", "panel tab-panel")
        yield Footer(compact=True)

    def _chart(self, id: str, classes: str) -> ChartPanel:
        return ChartPanel(
            id=id, classes=classes, selected=self._selected_symbol, step=self._step_symbol
        )

    def _selected_symbol(self) -> str | None:
        return self.query_one("#prices-table", KeyedTable).selected_key

    def _step_symbol(self, delta: int) -> None:
        """The chart follows the Prices selection; up/down on the chart move it."""
        table = self.query_one("#prices-table", KeyedTable)
        if table.row_count:
            table.move_cursor(row=(table.cursor_row + delta) % table.row_count)

    @on(DataTable.RowHighlighted, "#prices-table")
    def _symbol_selected(self) -> None:
        for chart in self.query(ChartPanel):
            chart.shown_version = -1
        self.refresh_panels()

    def on_mount(self) -> None:
        self._install_themes()
        self.theme_changed_signal.subscribe(self, lambda _theme: self._theme_changed())
        self._attach_log()
        self.set_interval(1 / REFRESH_HZ, self.refresh_panels, name="refresh-panels")
        self.run_worker(self._open_trader(), name="open", group=CORE_GROUP, exit_on_error=False)
        self.refresh_panels()

    async def on_unmount(self) -> None:
        if self._log_handler is not None:
            logging.getLogger("tui_trader").removeHandler(self._log_handler)
        if self.trader_state == "open":
            await self._close_unattended()

    # --- themes -------------------------------------------------------------------
    def _install_themes(self) -> None:
        extra = self.settings.data_path / "themes"
        wanted = MONO_THEME if self.no_color else self.requested_theme
        self.trader_themes = install_themes(self, (themes_dir(), extra), wanted)

    def _theme_changed(self) -> None:
        self.trader_palette = Palette.from_variables(self.theme_variables)
        for panel in self._panels():
            panel.shown_version = -1
        self.refresh_panels()

    # --- repaint ------------------------------------------------------------------
    def _panels(self) -> list[SnapshotView]:
        return [
            self.query_one(PricesPanel),
            self.query_one(PositionsPanel),
            self.query_one(OrdersPanel),
            self.query_one(AccountPanel),
            self.query_one(AdvicePanel),
            self.query_one(SafetyPanel),
            self.query_one("#chart", ChartPanel),
            self.query_one("#chart-wide", ChartPanel),
        ]

    def refresh_panels(self) -> None:
        """Repaint from the newest snapshot. Skipped while a dialog covers the screen;
        panels already showing this version, or hidden in a tab, are not touched."""
        if not self.is_running:
            return
        snapshot = self.trader.snapshot()
        self._raise_alerts(snapshot)  # even under a dialog: a toast shows over it
        if self._killed != snapshot.kill_switch_active:
            self._killed = snapshot.kill_switch_active
            self.refresh_bindings()
        if self.screen is not self.screen_stack[0]:
            return
        view = View(now=self.clock.now(), palette=self.trader_palette)
        self.query_one(StatusBar).show(snapshot, view)
        if self._last_state != snapshot.engine_state.value:
            self._last_state = snapshot.engine_state.value
            self.log_line(f"engine {snapshot.engine_state.value}")
        with self.batch_update():
            for panel in self._panels():
                if panel.display and panel.shown_version != snapshot.version:
                    panel.show(snapshot, view)
                    panel.shown_version = snapshot.version
        if snapshot.version != self.shown_version:
            self.shown_version = snapshot.version
            self.post_message(PanelsRefreshed(snapshot.version))

    def _raise_alerts(self, snapshot: TraderSnapshot) -> None:
        """A toast per look that found new CRITICAL events; the Safety tab counts them
        until its panel is on screen."""
        if snapshot.version == self.shown_version and not self.alerts.unseen:
            return
        critical = self.alerts.fresh(snapshot.safety_events)
        if critical:
            title, message = alert_toast(critical)
            self.notify(message, title=title, severity="error", timeout=ALERT_TIMEOUT)
        looking = self.screen is self.screen_stack[0] and self.query_one(SafetyPanel).display
        if (looking and self.alerts.seen()) or critical:
            number = TABS.index("safety") + 1
            self.query_one("#tab-safety", Tab).label = tab_label(number, self.alerts.unseen)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast, from any widget or screen, passes here. Toasts quote exception
        texts, exchange errors, symbols and file names, so they are always literal text
        without control characters: `markup` is ignored, because Widget.notify passes
        markup=True unless told otherwise."""
        super().notify(
            printable_lines(message, TOAST_CHARS),
            title=printable(title, 80),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def log_line(self, line: str, level: int = logging.INFO) -> None:
        self.query_one(LogPanel).write_line(line, level)

    def _attach_log(self) -> None:
        self._log_handler = PanelLogHandler(self.query_one(LogPanel))
        self._log_handler.addFilter(RedactingFilter())  # no secret ever reaches the screen
        logger = logging.getLogger("tui_trader")
        logger.addHandler(self._log_handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(self.settings.log_level)

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        name = (event.tab.id or "").removeprefix("tab-")
        for panel in self.query(".tab-panel"):
            panel.set_class(panel.id == name, "-active")
        self.screen.set_class(name == "chart", "-chart-tab")  # short screens: room for it
        self.refresh_panels()

    def action_show_tab(self, number: int) -> None:
        """Shows the panel and focuses its table: up/down and Enter work at once."""
        if 1 <= number <= len(TABS):
            name = TABS[number - 1]
            self.query_one(Tabs).active = f"tab-{name}"
            for table in self.query(f"#{name} KeyedTable"):
                table.focus()
            if name == "chart":
                self.query_one("#chart", ChartPanel).focus()

    # --- workers --------------------------------------------------------------------
    def action_start(self) -> None:
        # Until open() has read the kill switch and reconciled, there is nothing to start:
        # a start asked for while it opens is kept and done once it is open (prices can
        # show before that, and a person presses `s` when they do).
        if self.trader_state == "new":
            self._start_when_open = True
            self.notify("The trader is still opening: trading starts once it is open.",
                        title="start", severity="warning")  # fmt: skip
            return
        if self.trader_state != "open":
            self.notify("The trader is closing.", title="start", severity="warning")
            return
        super().action_start()

    async def _open_trader(self) -> None:
        try:
            await self._unlock_keyring()
            await self.trader.open()
        except Exception as exc:
            # A trader that cannot open leaves nothing to operate: leave the screen and
            # let the launcher print the one line (invariant 9). open() closed its parts.
            self.open_error = exc
            self.exit(return_code=1)
            return
        self.trader_state = "open"
        self._edge_tasks = dict(self.trader.edge_tasks())
        for name, factory in self._edge_tasks.items():
            self.run_worker(factory, name=name, group=CORE_GROUP, exit_on_error=False)
        self.log_line("trader open; market data flowing (press s to start trading)")
        if self._start_when_open:
            self._start_when_open = False
            super().action_start()

    async def _unlock_keyring(self) -> None:
        """The encrypted-file keyring asks for its passphrase here, in a masked modal,
        before anything reads a key (never getpass in the middle of the screen)."""
        if not await passphrase_needed(self.settings):
            return
        while True:
            phrase = await self.push_screen_wait(PassphraseScreen(KEYRING_REQUEST))
            if phrase is None:
                self.log_line("keyring left locked: keys unavailable (paper trading works)")
                return
            try:
                await unlock_secrets(self.settings, phrase)
            except SecretsError as exc:
                self.notify(str(exc), title="Keyring", severity="error", markup=False)
                continue
            self.log_line("keyring unlocked")
            return

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == COMMAND_GROUP and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            error = "" if worker.error is None else _describe(worker.error)
            self.post_message(CommandFinished(worker.name, error))
        elif event.state is WorkerState.ERROR and worker.error is not None:
            if worker.group == CORE_GROUP:
                self.trader.worker_failed(worker.name, worker.error)
            text = f"{worker.name} failed: {_describe(worker.error)}"
            self.log_line(text, logging.ERROR)
            self.notify(text, title="Worker failed", severity="error", timeout=10, markup=False)

    @on(CommandFinished)
    def _command_finished(self, message: CommandFinished) -> None:
        if message.ok:
            text = SUCCESS_TEXT.get(message.command, f"{message.command}: sent.")
            self.notify(text, title=message.command, timeout=3, markup=False)
            self.log_line(text)
        else:
            self.notify(
                message.error,
                title=f"{message.command} refused",
                severity="error",
                markup=False,
            )
            self.log_line(f"{message.command} refused: {message.error}", logging.WARNING)
        self.refresh_panels()


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


def create_app(
    settings: Settings,
    trader: HostableTrader,
    *,
    theme: str | None = None,
    clock: Clock | None = None,
    env_file: Path | None = None,
) -> TraderApp:
    """The one way to build the app, for the CLI and the tests alike. The app opens the
    trader on mount and closes it (gracefully) on quit; `env_file` is the `.env` the
    settings screen edits (the working directory's, as start-up reads it)."""
    return TraderApp(
        settings,
        trader,
        theme=theme,
        clock=clock or SystemClock(),
        env_file=env_file or Path(ENV_FILE),
    )
