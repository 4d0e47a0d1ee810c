"""Helpers for the cockpit tests: a real paper Trader on the seeded simulated market, in a
temporary data dir, with the wall clock frozen so that screens are repeatable."""

import asyncio
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.app import App
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from tests.trader_support import entry_groups
from tui_trader.clock import SimulatedClock
from tui_trader.config import Settings, load_settings
from tui_trader.domain.enums import EngineState
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.trader import Trader
from tui_trader.tui.app import TraderApp, create_app
from tui_trader.tui.messages import CommandFinished

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@dataclass
class Cockpit:
    app: TraderApp
    trader: Trader
    settings: Settings


def make_cockpit(
    data_dir: Path, theme: str | None = None, env_file: Path | None = None, **overrides: Any
) -> Cockpit:
    settings = load_settings(TUI_TRADER_DATA_DIR=data_dir, **overrides)
    clock = SimulatedClock(T0)
    trader = build_trader(settings, wall_clock=clock, start=T0, **entry_groups())
    app = create_app(settings, trader, theme=theme, clock=clock, env_file=env_file)
    return Cockpit(app, trader, settings)


async def wait_for(
    pilot: Pilot[Any], check: Callable[[], bool], what: str, within: float = 10.0
) -> None:
    """Let the app run until `check()` holds; fail naming `what` if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def market_ready(pilot: Pilot[Any], cockpit: Cockpit, settled: bool = True) -> None:
    """The trader is open and prices are on screen; `settled`: the screen shows the
    trader's newest snapshot (only holds on a market that is not running flat out)."""
    app, trader = cockpit.app, cockpit.trader

    def ready() -> bool:
        snapshot = trader.snapshot()
        shown = app.shown_version == snapshot.version if settled else app.shown_version > 0
        return app.trader_state == "open" and all(v.last > 0 for v in snapshot.prices) and shown

    await wait_for(pilot, ready, "prices on screen")


def screen_text(screen: Screen[Any]) -> str:
    """The plain text of every Static on a screen (dialogs), as rendered at 120 columns."""
    console = Console(width=120, record=True, file=io.StringIO())
    for static in screen.query(Static):
        console.print(static.content)
    return console.export_text()


def screen_plain(app: App[Any]) -> str:
    """What the terminal would show, as plain text: the screen's full render (dialogs,
    and toasts when the test enables them) without styles."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text(styles=False)


def engine_state(c: Cockpit) -> EngineState:
    return c.trader.snapshot().engine_state


async def start_trading(pilot: Pilot[Any], c: Cockpit) -> None:
    await pilot.press("s")
    await wait_for(pilot, lambda: engine_state(c) is EngineState.RUNNING, "RUNNING")


class Recorder:
    """Collects what the app reported (run_test's message_hook): command outcomes and
    notifications."""

    def __init__(self) -> None:
        self.finished: list[CommandFinished] = []
        self.notices: list[Notification] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, CommandFinished):
            self.finished.append(message)
        elif isinstance(message, Notify):
            self.notices.append(message.notification)

    def titled(self, title: str) -> list[str]:
        return [n.message for n in self.notices if n.title == title]
