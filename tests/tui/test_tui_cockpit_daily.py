"""Issue 14, items 1, 3 and 6: a first run that moves, CRITICAL events that are heard,
and dialogs that answer to letters."""

import asyncio
import re
from collections.abc import Callable

import pytest
from test_tui_trading import close_attempted, fast_market, freeze_market_when, position_selected
from textual.content import Content
from textual.widgets import Button, Checkbox, Tab
from tui_support import (
    Cockpit,
    Recorder,
    engine_state,
    market_ready,
    screen_plain,
    screen_text,
    start_trading,
    wait_for,
)

from tui_trader.domain.enums import EngineState
from tui_trader.market.simulated import SimulatedMarket
from tui_trader.tui.modals.close import ClosePositionScreen
from tui_trader.tui.modals.event import EventDetailScreen
from tui_trader.tui.modals.kill import KillScreen
from tui_trader.tui.modals.quit import QuitScreen
from tui_trader.tui.modals.stop import StopScreen
from tui_trader.tui.widgets.prices import PricesPanel
from tui_trader.tui.widgets.safety import SafetyPanel

Make = Callable[..., Cockpit]


# --- 1. the first run ------------------------------------------------------------------
async def test_the_demo_starts_with_warm_strategies(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        shown = c.trader.snapshot().prices
        assert all(row.signal in ("BUY", "SELL", "HOLD") for row in shown)
        assert "WARMUP" not in screen_plain(c.app)


async def test_a_cold_strategy_counts_its_warm_up(
    cockpit: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No history (as on Binance today): the count moves candle by candle."""
    monkeypatch.setattr(SimulatedMarket, "history", lambda _self, _count: [])
    c = cockpit(SIM_SPEED=240)  # a candle every 0.25 s
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c, settled=False)
        panel = c.app.query_one(PricesPanel)
        counts: list[int] = []

        def counted() -> bool:
            match = re.search(r"WARMUP (\d+)/(\d+)", screen_plain(c.app))
            if match:
                counts.append(int(match[1]))
            return len(set(counts)) >= 2

        await wait_for(pilot, counted, "the warm-up count to move")
        need = int(re.findall(r"WARMUP \d+/(\d+)", str(panel.border_subtitle))[0] or 0)
        assert need > max(counts) >= 1
        assert re.search(rf"W \d+/{need}", screen_plain(c.app))  # in the Signal column too


# --- 3. CRITICAL events ----------------------------------------------------------------
LONG = "binance unreachable: " + "connection reset by peer; " * 12 + "[/] END-OF-MESSAGE"


async def test_a_critical_event_toasts_counts_on_the_tab_and_reads_in_full(
    cockpit: Make,
) -> None:
    c, seen = cockpit(), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c)
        tab = c.app.query_one("#tab-safety", Tab)
        assert tab.label.plain == "5 Safety"
        c.trader.worker_failed("feed", RuntimeError(LONG))
        await wait_for(pilot, lambda: bool(seen.titled("CRITICAL")), "a CRITICAL toast")
        assert "END-OF-MESSAGE" in seen.titled("CRITICAL")[0]  # literal: "[/]" kept
        assert "[/]" in seen.titled("CRITICAL")[0]
        await wait_for(pilot, lambda: tab.label.plain == "5 Safety (1)", "the badge")
        c.trader.worker_failed("llm", RuntimeError("second"))
        await wait_for(pilot, lambda: tab.label.plain == "5 Safety (2)", "the count")
        await pilot.pause(0.5)
        assert tab.label.plain == "5 Safety (2)"  # stays until seen
        await pilot.press("5")
        await wait_for(pilot, lambda: tab.label.plain == "5 Safety", "the badge cleared")
        # The Message cell is cut at 80 columns; Enter shows the whole event ("5" put
        # the focus on the Safety table).
        assert c.app.focused is c.app.query_one("#safety-table")
        rows = c.app.query_one(SafetyPanel)._events
        first = next(iter(rows.values()))
        assert "second" in first.message  # newest first
        await pilot.press("down")
        await pilot.press("enter")
        assert isinstance(c.app.screen, EventDetailScreen)
        await pilot.pause(0.1)
        text = screen_plain(c.app)
        assert "END-OF-MESSAGE" in text and "[/]" in text
        assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
        await pilot.press("escape")
        assert not isinstance(c.app.screen, EventDetailScreen)


async def test_an_event_seen_on_the_wide_screen_needs_no_badge(cockpit: Make) -> None:
    c, seen = cockpit(), Recorder()
    async with c.app.run_test(size=(160, 48), message_hook=seen) as pilot:
        await market_ready(pilot, c)
        c.trader.worker_failed("feed", RuntimeError("binance unreachable"))
        await wait_for(pilot, lambda: bool(seen.titled("CRITICAL")), "a CRITICAL toast")
        await pilot.pause(0.3)
        assert c.app.alerts.unseen == 0  # the Safety panel is on screen


# --- 6. dialogs ------------------------------------------------------------------------
async def test_the_kill_dialog_answers_to_letters_and_offers_only_what_applies(
    cockpit: Make,
) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("k")
        assert isinstance(c.app.screen, KillScreen)
        assert c.app.focused is not None and c.app.focused.id == "cancel"
        assert not c.app.screen.query(Checkbox)  # no "close 0 open positions"
        assert "0 open position" not in screen_text(c.app.screen)
        await pilot.press("a")  # nothing to tick
        await pilot.press("n")
        assert not isinstance(c.app.screen, KillScreen)
        assert not c.trader.snapshot().kill_switch_active
        await pilot.press("k", "escape")
        assert not isinstance(c.app.screen, KillScreen)
        await pilot.press("k", "y")
        await wait_for(pilot, lambda: c.trader.snapshot().kill_switch_active, "kill active")


async def test_no_toast_covers_the_kill_dialog_and_none_is_lost(cockpit: Make) -> None:
    """At 80x24 a toast sat on the dialog's buttons; the alarm dialog owns the screen
    (opaque, no moving cockpit behind it) and notices come back once it closes."""
    c = cockpit()
    async with c.app.run_test(size=(80, 24), notifications=True) as pilot:
        await market_ready(pilot, c)
        c.app.notify("exchange unreachable", severity="error", timeout=60)
        await pilot.press("k")
        assert isinstance(c.app.screen, KillScreen)
        await pilot.pause(0.05)
        assert "exchange unreachable" not in screen_plain(c.app)
        assert c.app.screen.styles.background.a == 1  # nothing of the cockpit behind
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: "exchange unreachable" in screen_plain(c.app), "the toast back"
        )


async def test_stop_and_quit_answer_to_letters(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await start_trading(pilot, c)
        await pilot.press("x")
        assert isinstance(c.app.screen, StopScreen)
        assert c.app.focused is not None and c.app.focused.id == "cancel"
        assert not c.app.screen.query("#flatten")  # no positions, nothing to flatten
        await pilot.press("f")  # not offered: does nothing
        assert isinstance(c.app.screen, StopScreen)
        await pilot.press("n")
        assert engine_state(c) is EngineState.RUNNING
        await pilot.press("q")
        assert isinstance(c.app.screen, QuitScreen)
        await pilot.press("n")
        assert not isinstance(c.app.screen, QuitScreen) and c.app.return_code is None
        await pilot.press("x", "y")
        await wait_for(pilot, lambda: engine_state(c) is not EngineState.RUNNING, "stopped")


async def test_buttons_show_their_letter_underlined(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("k")
        for button in c.app.screen.query(Button):
            label = button.label
            assert isinstance(label, Content)
            spans = [span for span in label.spans if "underline" in str(span.style)]
            assert len(spans) == 1, button.id
        await pilot.press("escape")


async def test_c_asks_before_closing_and_n_keeps_the_position(cockpit: Make) -> None:
    c, seen = fast_market(cockpit), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        symbol = await position_selected(pilot, c)
        await pilot.press("c")
        assert isinstance(c.app.screen, ClosePositionScreen)
        assert c.app.focused is not None and c.app.focused.id == "cancel"
        await pilot.press("n")
        await pilot.pause(0.2)
        closes = [m for m in seen.finished if m.command.startswith("close")]
        assert not close_attempted(c, symbol) and closes == []
        await pilot.press("c", "escape")
        await pilot.pause(0.2)
        assert not close_attempted(c, symbol)
        # With a position open, the kill dialog offers to close it, on `a`.
        await pilot.press("k")
        box = c.app.screen.query_one(Checkbox)
        await pilot.press("a")
        assert box.value and "close 1 open position now" in screen_text(c.app.screen)
        await pilot.press("escape")


@pytest.mark.parametrize("theme", ["trader-dark", "trader-light", "trader-mono"])
async def test_the_kill_checkbox_is_visible_in_every_theme(cockpit: Make, theme: str) -> None:
    c = fast_market(cockpit)
    c.app.requested_theme = theme
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c, settled=False)
        await start_trading(pilot, c)
        await freeze_market_when(pilot, c, lambda s: bool(s.positions), "a position")
        await pilot.press("k")
        box = c.app.screen.query_one(Checkbox)
        for ticked in (False, True):
            box.value = ticked
            await pilot.pause(0.05)
            style = box.get_visual_style("toggle--button")
            shown = box.render().plain
            assert shown.startswith("[X]" if ticked else "[ ]")  # readable without colour
            assert style.foreground is not None and style.background is not None
            assert style.foreground.hex != style.background.hex, (theme, ticked)
        await pilot.press("escape")


async def test_s_pressed_while_the_trader_opens_starts_it_once_open(cockpit: Make) -> None:
    """Prices can show before the trader is open (a slow first start): `s` then was
    refused with a toast that soon vanished, and nothing started (the tmux test caught
    it on a fresh clone). The start is kept and done once the trader is open."""
    c = cockpit()
    opening = asyncio.Event()
    real_open = c.trader.open

    async def slow_open() -> None:
        await opening.wait()
        await real_open()

    c.trader.open = slow_open  # type: ignore[method-assign]
    async with c.app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        assert c.app.trader_state == "new"
        await pilot.press("s")
        assert engine_state(c) is EngineState.IDLE  # nothing to start yet
        opening.set()
        await wait_for(pilot, lambda: engine_state(c) is EngineState.RUNNING, "started once open")
