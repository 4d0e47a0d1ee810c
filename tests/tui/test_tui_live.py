"""Live mode from the cockpit: step 1 refuses while anything is missing; step 2 refuses
any phrase but the exact one. The trader stays in paper mode throughout."""

from collections.abc import Callable

from textual.widgets import Button
from tui_support import Cockpit, Recorder, market_ready, screen_text, wait_for

from tui_trader.tui.modals.live_checks import LiveCheckScreen
from tui_trader.tui.modals.passphrase import PassphraseScreen

Make = Callable[..., Cockpit]


async def test_l_shows_what_is_missing_and_refuses(cockpit: Make) -> None:
    c, seen = cockpit(), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(c.app.screen, LiveCheckScreen), "step 1")
        text = screen_text(c.app.screen)
        assert "MISSING  live token file" in text
        assert "MISSING  API key and secret in the OS keyring" in text
        assert "Live mode refused" in text
        assert c.app.screen.query_one("#continue", Button).disabled
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(c.app.screen, LiveCheckScreen), "closed")
        refusals = seen.titled("Live mode refused")
        assert refusals and "LIVE_TOKEN" in refusals[0]
        assert c.trader.snapshot().mode == "PAPER"


async def test_l_with_the_token_file_still_needs_the_keys(cockpit: Make) -> None:
    c = cockpit()
    (c.settings.data_path / "LIVE_TOKEN").write_text("yes\n")
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(c.app.screen, LiveCheckScreen), "step 1")
        text = screen_text(c.app.screen)
        assert "ok       live token file" in text
        assert "MISSING  API key and secret" in text
        assert c.app.screen.query_one("#continue", Button).disabled


async def test_wrong_live_phrase_is_refused(cockpit: Make) -> None:
    c, seen = cockpit(), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c)
        c.app.run_worker(c.app.confirm_live())  # step 2, as the flow runs it after step 1
        await wait_for(pilot, lambda: isinstance(c.app.screen, PassphraseScreen), "step 2")
        await pilot.press(*"I_UNDERSTAND_LIVE")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(seen.finished), "enable_live answered")
        assert seen.finished[0].command == "enable_live"
        assert "I_UNDERSTAND_LIVE_TRADING" in seen.finished[0].error
        assert seen.titled("enable_live refused") == [seen.finished[0].error]
        assert c.trader.snapshot().mode == "PAPER"
        assert not isinstance(c.app.screen, PassphraseScreen)


async def test_escape_at_step_two_does_not_call_the_trader(cockpit: Make) -> None:
    c, seen = cockpit(), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c)
        c.app.run_worker(c.app.confirm_live())
        await wait_for(pilot, lambda: isinstance(c.app.screen, PassphraseScreen), "step 2")
        await pilot.press(*"I_UNDERSTAND_LIVE_TRADING")
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert seen.finished == []
        assert seen.titled("Live mode") == ["Live mode not enabled."]
        assert c.trader.snapshot().mode == "PAPER"
