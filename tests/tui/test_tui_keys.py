"""Pilot tests: the operator keys drive a real paper trader (seeded simulated market)."""

from collections.abc import Callable

import pytest
from test_tui_trading import fast_market
from textual.widgets import Static
from tui_support import (
    Cockpit,
    Recorder,
    engine_state,
    market_ready,
    screen_text,
    start_trading,
    wait_for,
)

from tui_trader.app.startup import EXIT_STORAGE, exit_code, failure_line
from tui_trader.domain.enums import EngineState
from tui_trader.journal.errors import JournalError
from tui_trader.tui.keys import NAVIGATION_HELP, OPERATOR_KEYS
from tui_trader.tui.modals.help import HelpScreen
from tui_trader.tui.modals.quit import QuitScreen
from tui_trader.tui.modals.stop import StopScreen

Make = Callable[..., Cockpit]


def header_text(c: Cockpit, name: str) -> str:
    return str(c.app.query_one(f"#status-bar #{name}", Static).render())


async def test_s_starts_trading_and_the_header_says_running(cockpit: Make) -> None:
    c, seen = cockpit(), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c)
        assert header_text(c, "engine") == "IDLE"
        assert header_text(c, "mode") == "PAPER"
        await pilot.press("s")
        await wait_for(pilot, lambda: header_text(c, "engine") == "RUNNING", "RUNNING shown")
        assert engine_state(c) is EngineState.RUNNING
        assert [(m.command, m.error) for m in seen.finished] == [("start", "")]


async def test_x_asks_then_keeps_positions_or_escape_does_nothing(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await start_trading(pilot, c)
        await pilot.press("x")
        assert isinstance(c.app.screen, StopScreen)
        assert c.app.focused is not None and c.app.focused.id == "cancel"
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert engine_state(c) is EngineState.RUNNING
        await pilot.press("x")
        await pilot.click("#keep")
        await wait_for(pilot, lambda: engine_state(c) is EngineState.IDLE, "IDLE after stop")


async def test_x_stop_and_flatten(cockpit: Make) -> None:
    c, seen = fast_market(cockpit), Recorder()  # flatten is offered only with positions
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c, settled=False)
        await start_trading(pilot, c)
        await wait_for(pilot, lambda: bool(c.trader.snapshot().positions), "a position")
        await pilot.press("x")
        await pilot.click("#flatten")
        await wait_for(pilot, lambda: engine_state(c) is EngineState.IDLE, "IDLE after flatten")
        assert ("stop", "") in [(m.command, m.error) for m in seen.finished]


async def test_r_is_refused_unless_in_error_and_resets_from_error(cockpit: Make) -> None:
    c, seen = cockpit(MAX_CONSECUTIVE_FAILURES=1), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c)
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(seen.finished), "reset answered")
        assert seen.finished[0].command == "reset" and seen.finished[0].error
        assert engine_state(c) is EngineState.IDLE

        # A core worker that dies is reported to the trader: a safety event and ERROR.
        async def broken_edge_task() -> None:
            raise RuntimeError("socket closed")

        c.app.run_worker(broken_edge_task(), name="feed-2", group="core", exit_on_error=False)
        await wait_for(pilot, lambda: engine_state(c) is EngineState.ERROR, "ERROR")
        events = c.trader.snapshot().safety_events
        assert any("feed-2" in e.message and "socket closed" in e.message for e in events)
        await wait_for(pilot, lambda: header_text(c, "engine") == "ERROR", "ERROR shown")
        await pilot.press("r")
        await wait_for(pilot, lambda: engine_state(c) is EngineState.IDLE, "IDLE after reset")
        assert seen.finished[-1].command == "reset" and seen.finished[-1].ok


async def test_t_cycles_through_the_trader_themes(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        assert c.app.theme == "trader-dark"
        seen = []
        for _ in range(3):
            await pilot.press("t")
            seen.append(c.app.theme)
        assert seen == ["trader-light", "trader-mono", "trader-dark"]


async def test_question_mark_lists_every_key(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("question_mark")
        assert isinstance(c.app.screen, HelpScreen)
        text = screen_text(c.app.screen)
        for key in OPERATOR_KEYS:
            assert key.help in text
        for keys, _ in NAVIGATION_HELP:
            assert keys in text
        await pilot.press("escape")
        assert not isinstance(c.app.screen, HelpScreen)


async def test_q_when_idle_quits_at_once_and_closes_the_journal(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("q")
        await wait_for(pilot, lambda: c.app.trader_state == "closed", "trader closed")
    assert c.app.return_code == 0


async def test_q_while_running_confirms_first(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await start_trading(pilot, c)
        await pilot.press("q")
        assert isinstance(c.app.screen, QuitScreen)
        assert c.app.focused is not None and c.app.focused.id == "cancel"
        await pilot.press("enter")  # Cancel has the focus
        await pilot.pause(0.1)
        assert engine_state(c) is EngineState.RUNNING and c.app.trader_state == "open"
        await pilot.press("q")
        await pilot.click("#quit")
        await wait_for(pilot, lambda: c.app.trader_state == "closed", "trader closed")
        assert engine_state(c) is EngineState.IDLE
    assert c.app.return_code == 0


async def test_every_key_has_a_footer_hint_and_a_palette_command(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(160, 48)) as pilot:
        await market_ready(pilot, c)
        shown = {b.binding.action for b in c.app.active_bindings.values() if b.binding.show}
        titles = [command.title for command in c.app.get_system_commands(c.app.screen)]
        for key in OPERATOR_KEYS:
            assert key.action in shown or key.action == "clear_kill"  # only while killed
            assert any(title.startswith(key.title) for title in titles)
        assert "clear_kill" not in shown
        await c.trader.kill(source="test")
        await pilot.pause(0.3)  # the next repaint offers the clear key
        shown = {b.binding.action for b in c.app.active_bindings.values() if b.binding.show}
        assert "clear_kill" in shown


async def test_palette_finds_start_by_name_and_runs_it(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("ctrl+p")
        await pilot.press(*"start trading")
        await pilot.pause(0.3)  # the palette searches in the background
        await pilot.press("enter")
        await wait_for(pilot, lambda: engine_state(c) is EngineState.RUNNING, "RUNNING")


async def test_a_failed_shutdown_exits_with_its_code_and_literal_text(
    cockpit: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = cockpit()

    async def close_fails() -> None:
        raise JournalError("journal closed with 3 records not written: [/] disk full")

    real_close = c.trader.close
    try:
        async with c.app.run_test(size=(80, 24)) as pilot:
            await market_ready(pilot, c)
            monkeypatch.setattr(c.trader, "close", close_fails)
            await pilot.press("q")
            await wait_for(pilot, lambda: c.app.return_code is not None, "the app to exit")
    finally:
        await real_close()  # the journal's threads would outlive the test run
    # The launcher raises it once the terminal is restored: the CLI's one line and code.
    assert isinstance(c.app.close_error, JournalError) and c.app.return_code == 1
    assert exit_code(c.app.close_error) == EXIT_STORAGE  # records not written
    assert failure_line(c.app.close_error).endswith("[/] disk full")  # literal, one line
