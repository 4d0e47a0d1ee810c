"""The operator's actions and the trader's shutdown: each key opens a dialog or calls one
trader command. Commands run as workers in the "commands" group; their outcome comes back
as CommandFinished. Every action is also a command-palette entry."""

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Tabs
from textual.worker import WorkerCancelled, WorkerFailed

from tui_trader.app.settings_edit import Saved
from tui_trader.domain.enums import EngineState
from tui_trader.snapshot import TraderSnapshot
from tui_trader.tui.hosted_trader import DRAINS_ON_CLOSE, HostableTrader
from tui_trader.tui.keys import OPERATOR_KEYS
from tui_trader.tui.modals.clear_kill import ClearKillScreen
from tui_trader.tui.modals.close import ClosePositionScreen
from tui_trader.tui.modals.help import HelpScreen
from tui_trader.tui.modals.kill import KillChoice, KillScreen
from tui_trader.tui.modals.live_checks import LiveCheckScreen
from tui_trader.tui.modals.passphrase import LIVE_PHRASE_REQUEST, PassphraseScreen
from tui_trader.tui.modals.quit import QuitScreen
from tui_trader.tui.modals.setting_edit import EditSettingScreen
from tui_trader.tui.modals.settings import SettingsScreen
from tui_trader.tui.modals.stop import StopChoice, StopScreen
from tui_trader.tui.themes import DEFAULT_THEME
from tui_trader.tui.widgets.base import WIDE_KEY, KeyedTable, Palette, TablePanel
from tui_trader.tui.widgets.orders import OrdersPanel
from tui_trader.tui.widgets.positions import PositionsPanel

CLOSE_TIMEOUT_S = 5.0
CORE_GROUP = "core"
COMMAND_GROUP = "commands"


def open_positions(snapshot: TraderSnapshot) -> int:
    return sum(1 for row in snapshot.positions if row.position.is_open)


class OperatorActions(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding(WIDE_KEY, "toggle_wide", show=False)]
    trader: HostableTrader
    trader_themes: tuple[str, ...]
    shutting_down: bool
    trader_state: str
    close_error: Exception | None
    env_file: Path
    trader_palette: Palette
    settings_pending: set[str]
    _edge_tasks: dict[str, Callable[[], Awaitable[None]]]

    def run_command(self, name: str, call: Callable[[], Awaitable[None]]) -> None:
        self.run_worker(call, name=name, group=COMMAND_GROUP, exit_on_error=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The kill key has priority everywhere except in its own dialog and in the
        # command palette, where people type words that contain a "k".
        if action == "kill":
            return not isinstance(self.screen, KillScreen | CommandPalette)
        if isinstance(self.screen, SettingsScreen | EditSettingScreen):
            return False  # no trading key acts on a cockpit the settings screen hides
        if action == "clear_kill":  # offered (and in the footer) only while killed
            killed = self.trader.snapshot().kill_switch_active
            return killed and not isinstance(self.screen, ClearKillScreen)
        return True

    def action_start(self) -> None:
        self.run_command("start", self.trader.start)

    def action_reset(self) -> None:
        self.run_command("reset", self.trader.reset)

    def action_stop(self) -> None:
        positions = open_positions(self.trader.snapshot())
        self.push_screen(StopScreen(positions), self._stop_chosen)

    def _stop_chosen(self, choice: StopChoice | None) -> None:
        if choice is not None:
            self.run_command("stop", partial(self.trader.stop, flatten=choice.flatten))

    def action_kill(self) -> None:
        snapshot = self.trader.snapshot()
        dialog = KillScreen(
            len(snapshot.open_orders), open_positions(snapshot), snapshot.kill_switch_active
        )
        self.push_screen(dialog, self._kill_chosen)

    def _kill_chosen(self, choice: KillChoice | None) -> None:
        if choice is None:
            self.notify("Kill switch not activated.", title="Kill switch")
            return
        kill = partial(self.trader.kill, close_positions=choice.close_positions, source="tui")
        self.run_command("kill", kill)

    def action_clear_kill(self) -> None:
        snapshot = self.trader.snapshot()
        if not snapshot.kill_switch_active:  # the command palette offers it regardless
            self.notify("The kill switch is not active.", title="Clear kill switch")
            return
        dialog = ClearKillScreen(snapshot.kill, snapshot.flat_proof)
        self.push_screen(dialog, self._clear_kill_chosen)

    def _clear_kill_chosen(self, confirmed: bool | None) -> None:
        if not confirmed:
            self.notify("Kill switch left active.", title="Clear kill switch", timeout=3)
            return
        self.run_command("clear_kill", partial(self.trader.clear_kill, source="tui"))

    def action_live(self) -> None:
        self._live_flow()

    @work(name="live-dialog", group="dialogs", exclusive=True, exit_on_error=False)
    async def _live_flow(self) -> None:
        check = await asyncio.to_thread(self.trader.live_check)
        if not await self.push_screen_wait(LiveCheckScreen(check)):
            if not check.ready:
                self.notify(check.detail, title="Live mode refused", severity="error", markup=False)
            return
        await self.confirm_live()

    async def confirm_live(self) -> None:
        """Step 2: the typed phrase goes to the trader, which accepts or refuses it."""
        phrase = await self.push_screen_wait(PassphraseScreen(LIVE_PHRASE_REQUEST))
        if phrase is None:
            self.notify("Live mode not enabled.", title="Live mode")
            return
        self.run_command("enable_live", partial(self.trader.enable_live, phrase))

    def action_close_position(self) -> None:
        panel = self.query_one(PositionsPanel)
        if not self._visible_or_shown(panel, "positions"):
            return
        symbol = panel.selected_symbol
        held = {row.position.symbol: row.position for row in self.trader.snapshot().positions}
        position = held.get(symbol) if symbol is not None else None
        if position is None or not position.is_open:
            self.notify("No open position to close.", severity="warning")
            return
        chosen = partial(self._close_chosen, position.symbol)
        self.push_screen(ClosePositionScreen(position), chosen)

    def _close_chosen(self, symbol: str, confirmed: bool | None) -> None:
        if confirmed:
            self.run_command(f"close {symbol}", partial(self.trader.close_position, symbol))
        else:
            self.notify(f"{symbol} left open.", title="Close position", timeout=3)

    def action_cancel_order(self) -> None:
        panel = self.query_one(OrdersPanel)
        if not self._visible_or_shown(panel, "orders"):
            return
        coid = panel.selected_order
        open_ids = {order.client_order_id for order in self.trader.snapshot().open_orders}
        if coid is None or coid not in open_ids:
            self.notify("Select an open order to cancel.", severity="warning")
            return
        self.run_command(f"cancel {coid}", partial(self.trader.cancel_order, coid))

    def _visible_or_shown(self, panel: PositionsPanel | OrdersPanel, tab: str) -> bool:
        """Never act on a row the operator cannot see: bring its tab forward first."""
        if panel.display:
            return True
        self.query_one(Tabs).active = f"tab-{tab}"
        self.notify(f"Select a row in {tab.title()}, then press the key again.")
        return False

    def action_cycle_theme(self) -> None:
        names = self.trader_themes or (self.theme,)
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def action_toggle_wide(self) -> None:
        """Every column of every table at full width (scrolling sideways), or back to
        the columns that fit."""
        wide = not any(table.wide for table in self.query(KeyedTable))
        for panel in self.query(TablePanel):
            panel.set_wide(wide)

    def action_settings(self) -> None:
        if not isinstance(self.screen, SettingsScreen | EditSettingScreen):
            pending, palette = self.settings_pending, self.trader_palette
            self.push_screen(SettingsScreen(self.env_file, pending, self.setting_saved, palette))

    def setting_saved(self, saved: Saved) -> str:
        """The line to show for a save; a setting the app applies at once is applied."""
        if saved.name != "THEME" or saved.overridden:
            return saved.note
        wanted = saved.value or DEFAULT_THEME
        if self.no_color:
            return f"THEME saved to .env; NO_COLOR keeps {self.theme} (restart without it)"
        if wanted not in self.available_themes:
            return (
                f"THEME saved to .env, but no theme is called {wanted}: the screen keeps "
                f"{self.theme}, and a start with it falls back to {DEFAULT_THEME}"
            )
        self.theme = wanted
        return saved.note

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        if self.shutting_down:
            return
        if self.trader.snapshot().engine_state is EngineState.RUNNING:
            self.push_screen(QuitScreen(), self._quit_chosen)
        else:
            self._graceful_exit()

    def _quit_chosen(self, confirmed: bool | None) -> None:
        if confirmed:
            self._graceful_exit()

    @work(name="shutdown", group="lifecycle", exclusive=True, exit_on_error=False)
    async def _graceful_exit(self) -> None:
        """Stop the edge tasks (execution last), close the trader so the journal is
        flushed, then leave. A failed close still exits, with status 1 and the reason."""
        self.shutting_down = True
        self.notify("Stopping and flushing the journal...", title="Quit")
        early = [w for w in self.workers if w.group == CORE_GROUP and w.name != DRAINS_ON_CLOSE]
        for worker in early:
            worker.cancel()
        for worker in early:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()
        if self.trader_state != "open":  # never opened: nothing to flush
            self.exit(return_code=0)
            return
        self.trader_state = "closing"
        try:
            await self.trader.close()
        except Exception as exc:
            # Reported by the launcher once the terminal is restored: one line and the
            # documented exit code (5: records not written), as a headless run says it.
            self.close_error = exc
            self.exit(return_code=1)
            return
        finally:
            self.trader_state = "closed"
        self.exit(return_code=0)

    async def _close_unattended(self) -> None:
        """The app is exiting without the quit path (test harness, signal) and its workers
        are gone: run the execution task once more so the close can drain, flush the
        journal, and never hang the exit on it."""
        self.trader_state = "closing"
        factory = self._edge_tasks.get(DRAINS_ON_CLOSE)
        drain = asyncio.ensure_future(factory()) if factory is not None else None
        try:
            await asyncio.wait_for(self.trader.close(), CLOSE_TIMEOUT_S)
        except Exception as exc:
            print(f"tui-trader: closing the trader failed: {exc!r}", file=sys.stderr)
        finally:
            if drain is not None:
                drain.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await drain
        self.trader_state = "closed"

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key in OPERATOR_KEYS:
            shown = key.display or key.key
            action = key.action
            yield SystemCommand(
                f"{key.title} ({shown})", key.help, lambda a=action: self.run_action(a)
            )
