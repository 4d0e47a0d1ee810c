"""The kill switch from the cockpit: what the dialog says, Cancel changes nothing, the
key works whatever has focus, a confirmed kill is active and persisted, and clearing it
(only once CLEAR is typed) lets `s` start trading again."""

from collections.abc import Callable

from test_tui_trading import fast_market, freeze_market_when
from textual.widgets import Button, Checkbox, Input
from tui_support import (
    Cockpit,
    market_ready,
    screen_plain,
    screen_text,
    start_trading,
    wait_for,
)

from tui_trader.domain.enums import EngineState
from tui_trader.safety.kill_switch import KillSwitch
from tui_trader.tui.modals.clear_kill import ClearKillScreen
from tui_trader.tui.modals.kill import KillScreen
from tui_trader.tui.modals.passphrase import LIVE_PHRASE_REQUEST, PassphraseScreen

Make = Callable[..., Cockpit]


async def test_kill_dialog_says_what_happens_and_cancel_changes_nothing(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("s")
        await wait_for(
            pilot, lambda: c.trader.snapshot().engine_state is EngineState.RUNNING, "RUNNING"
        )
        before = c.trader.snapshot()
        await pilot.press("k")
        assert isinstance(c.app.screen, KillScreen)
        assert c.app.focused is not None and c.app.focused.id == "cancel"
        text = screen_text(c.app.screen)
        assert "block every new order" in text
        assert "cancel 0 open orders" in text
        assert "0 open position" not in text  # nothing to leave open or close
        assert not c.app.screen.query(Checkbox)
        await pilot.press("enter")  # on Cancel
        await pilot.pause(0.2)
        assert not isinstance(c.app.screen, KillScreen)
        after = c.trader.snapshot()
        assert not after.kill_switch_active
        assert after.engine_state is EngineState.RUNNING
        assert after.open_orders == before.open_orders or not before.open_orders
        assert not KillSwitch(c.settings.data_path).active


async def test_kill_confirm_activates_and_persists_the_kill_switch(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("s")
        await wait_for(
            pilot, lambda: c.trader.snapshot().engine_state is EngineState.RUNNING, "RUNNING"
        )
        await pilot.press("k")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: c.trader.snapshot().kill_switch_active, "kill active")
        state = KillSwitch(c.settings.data_path).read()
        assert state is not None and state.source == "tui" and not state.close_positions
        snapshot = c.trader.snapshot()
        assert snapshot.engine_state is not EngineState.RUNNING
        assert any(e.kind == "kill_switch" for e in snapshot.safety_events)
        header = c.app.query_one("#status-bar #trading")
        shown = "HALTED: kill switch: tui"
        await wait_for(pilot, lambda: shown in str(header.render()), "HALTED in the header")
        assert header.has_class("-halted")
        # Starting again is refused while killed: the trader says why.
        await pilot.press("s")
        await pilot.pause(0.2)
        assert c.trader.snapshot().engine_state is not EngineState.RUNNING


async def test_kill_with_close_positions_ticked_is_persisted(cockpit: Make) -> None:
    c = fast_market(cockpit)  # "also close" is offered only with a position open
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c, settled=False)
        await start_trading(pilot, c)
        await freeze_market_when(pilot, c, lambda s: bool(s.positions), "a position")
        await pilot.press("k")
        await pilot.click("#close-positions")
        assert c.app.screen.query_one("#close-positions", Checkbox).value
        assert "close 1 open position now" in screen_text(c.app.screen)
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: c.trader.snapshot().kill_switch_active, "kill active")
        state = KillSwitch(c.settings.data_path).read()
        assert state is not None and state.close_positions


async def test_kill_key_works_while_an_input_has_focus(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        c.app.push_screen(PassphraseScreen(LIVE_PHRASE_REQUEST))
        await pilot.pause(0.1)
        assert isinstance(c.app.focused, Input)
        await pilot.press("k")
        assert isinstance(c.app.screen, KillScreen)
        assert not c.app.screen.query(Checkbox)  # no position: nothing to close
        await pilot.press("k")  # not a second dialog on top of the first
        assert len(c.app.screen_stack) == 3
        await pilot.press("escape")
        assert isinstance(c.app.screen, PassphraseScreen)
        assert c.app.screen.query_one(Input).value == ""  # the k never reached the input


async def test_kill_key_types_into_the_command_palette(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("ctrl+p")
        await pilot.press(*"kill switch")
        await pilot.pause(0.3)
        assert not isinstance(c.app.screen, KillScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(c.app.screen, KillScreen), "kill dialog")
        assert not c.trader.snapshot().kill_switch_active


async def test_clear_kill_needs_the_typed_word_then_s_starts_again(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await start_trading(pilot, c)
        assert "Clear kill" not in screen_plain(c.app)  # offered only while killed
        await pilot.press("k")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: c.trader.snapshot().kill_switch_active, "kill active")
        await wait_for(pilot, lambda: "u Clear kill" in screen_plain(c.app), "key in footer")

        await pilot.press("u")  # Esc leaves the kill as it is
        assert isinstance(c.app.screen, ClearKillScreen)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert not isinstance(c.app.screen, ClearKillScreen)
        assert c.trader.snapshot().kill_switch_active

        await pilot.press("u")
        dialog = c.app.screen
        assert isinstance(dialog, ClearKillScreen)
        shown = screen_plain(c.app)
        assert "Clear the kill switch" in shown
        for line in ("Source:    tui", "Reason:    kill switch pressed", "Since:     2026-01-05"):
            assert line in shown, line
        assert c.app.focused is not None and c.app.focused.id == "clear-word"
        confirm = dialog.query_one("#confirm", Button)
        assert confirm.disabled
        await pilot.press("enter")  # nothing typed: Enter does not clear
        await pilot.press("tab")
        assert c.app.focused is not None and c.app.focused.id == "cancel"
        await pilot.press("y")  # nor the Clear button's key
        await pilot.click("#confirm")  # nor a click
        await pilot.pause(0.2)
        assert c.app.screen is dialog and c.trader.snapshot().kill_switch_active
        assert KillSwitch(c.settings.data_path).active

        dialog.query_one("#clear-word", Input).focus()
        await pilot.press(*"CLEA")
        await pilot.pause()
        assert confirm.disabled  # not the whole word yet
        await pilot.press("R")
        await pilot.pause()
        assert not confirm.disabled
        await pilot.press("enter")
        await wait_for(pilot, lambda: not c.trader.snapshot().kill_switch_active, "cleared")
        assert not isinstance(c.app.screen, ClearKillScreen)
        assert not KillSwitch(c.settings.data_path).active

        await pilot.press("s")
        await wait_for(
            pilot, lambda: c.trader.snapshot().engine_state is EngineState.RUNNING, "RUNNING"
        )
        header = c.app.query_one("#status-bar")
        await wait_for(pilot, lambda: "RUNNING" in screen_plain(c.app).splitlines()[0], "header")
        assert "ACTIVE" in str(header.query_one("#trading").render())
        assert c.trader.snapshot().trading_mode == "ACTIVE"
        assert "Clear kill" not in screen_plain(c.app)
