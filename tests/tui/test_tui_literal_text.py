"""Text from outside the program is shown literally (invariant 10): an LLM reasoning, a
safety event, an exchange's rejection reason, a symbol, a file name or a toast that holds
markup never crashes the app, never styles anything, never becomes a clickable action,
and carries no escape sequence or control character to the terminal."""

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import RichLog
from textual.widgets._toast import Toast
from tui_support import Cockpit, Recorder, market_ready, screen_plain, wait_for

from tests.doubles.openai_server import OpenAIDouble, advisory_llm
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Severity, Side
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Order

Make = Callable[..., Cockpit]

MARKUP = ("[/]", "[/INST]", "[@click=app.quit]quit[/]", "[bold red]x[/]")
# Colour, bell, an OSC window title, NUL and DEL: only "red tail" may reach the screen.
ANSI = "\x1b[31mred\x1b[0m\x07 \x1b]0;pwned\x07tail\x00\x7f"
ANSI_SHOWN = "red tail"
CONTROL = ("\x1b", "\x07", "\x00", "\x7f", "\x9b")


def toast_texts(app: App[Any]) -> list[str]:
    """What each toast on screen renders: its title line and its message."""
    return [toast.render().plain for toast in app.screen.query(Toast)]


def log_text(app: App[Any]) -> str:
    """The Log panel's lines, rejoined where they wrapped."""
    lines = app.query_one("#log-lines", RichLog).lines
    return " ".join(" ".join(strip.text.split()) for strip in lines)


def assert_no_control(text: str) -> None:
    found = [char for char in CONTROL if char in text]
    assert not found, f"control characters reached the screen: {found!r}"


async def click_text(pilot: Pilot[Any], app: App[Any], needle: str, at: str) -> None:
    """Click on the character `at` inside the first place `needle` is shown."""
    for y, line in enumerate(screen_plain(app).splitlines()):
        if needle in line:
            await pilot.click(offset=(line.index(needle) + needle.index(at), y))
            return
    raise AssertionError(f"{needle!r} is not on screen")


def advice_reply(reasoning: str) -> str:
    return json.dumps(
        {"action": "BUY_CONSIDER", "confidence": 0.5, "reasoning": reasoning, "risk_notes": ""}
    )


@pytest.fixture
async def llm(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OpenAIDouble]:
    async with advisory_llm(monkeypatch) as server:
        yield server


async def ask(c: Cockpit, llm: OpenAIDouble, reasoning: str) -> None:
    assert c.trader.advice is not None
    llm.content = advice_reply(reasoning)
    c.trader.advice.ask("BTCUSDT", "timer")
    await c.trader.advice.advisor.wait_idle()
    # A new advice does not bump the snapshot version by itself (the next market event
    # does); on the test's frozen market that may never come, so ask for a rebuild.
    c.trader.touch()


async def test_llm_reasoning_with_markup_and_escapes_is_shown_literally(
    cockpit: Make, llm: OpenAIDouble
) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        for reasoning in (*MARKUP, ANSI):
            await ask(c, llm, reasoning)
        await pilot.press("4")  # the LLM tab, full width
        wanted = (*MARKUP, ANSI_SHOWN)
        await wait_for(
            pilot,
            lambda: all(text in screen_plain(c.app) for text in wanted),
            "every reasoning, literally, in the LLM panel",
        )
        screen = screen_plain(c.app)
        assert_no_control(screen)
        assert "pwned" not in screen  # the OSC title went with its sequence
        assert c.app.is_running


async def test_clicking_an_llm_click_action_does_not_run_it(
    cockpit: Make, llm: OpenAIDouble
) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await ask(c, llm, "[@click=app.quit]quit[/]")
        await pilot.press("4")
        needle = "[@click=app.quit]quit[/]"
        await wait_for(pilot, lambda: needle in screen_plain(c.app), "the reasoning on screen")
        await click_text(pilot, c.app, needle, "quit")
        await pilot.pause(0.3)
        assert c.app.is_running and c.app.return_code is None


async def test_safety_event_and_rejected_order_from_outside_are_literal(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(160, 48)) as pilot:
        await market_ready(pilot, c)
        now = datetime.now(UTC)
        c.trader.record_safety(
            SafetyEvent(now, Severity.WARNING, "[/INST]", f"exchange said [/] {ANSI}", "[/]")
        )
        # What a broker reports for an order the exchange refused, in its own words.
        c.trader.on_broker_event(rejected_order("[b]X[/]", "[@click=app.quit]quit[/] [/]"))
        wanted = (
            "[/INST]",
            f"exchange said [/] {ANSI_SHOWN}",
            "[b]X[/]",  # the symbol, in the orders and safety tables
            "rejected: [@click=app.quit]quit[/]",  # the safety table shows this much
        )
        await wait_for(
            pilot,
            lambda: all(text in screen_plain(c.app) for text in wanted),
            "the event and the rejection, literally",
        )
        assert_no_control(screen_plain(c.app))
        await click_text(pilot, c.app, "[@click=app.quit]quit[/]", "quit")
        await pilot.pause(0.3)
        assert c.app.is_running and c.app.return_code is None


def rejected_order(symbol: str, reason: str) -> Order:
    now = datetime.now(UTC)
    return Order(
        client_order_id="tt-literal-1",
        intent_id="literal-1",
        symbol=symbol,
        side=Side.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal("0.001"),
        price=None,
        status=OrderStatus.REJECTED,
        created_at=now,
        updated_at=now,
        purpose=IntentPurpose.ENTRY,
        reason=reason,
    )


async def test_a_refused_command_toast_and_log_line_are_literal(cockpit: Make) -> None:
    c = cockpit()
    symbol = "[bold red]x[/]\x1b[2J"  # a symbol as some venue might send it
    recorder = Recorder()
    async with c.app.run_test(size=(160, 48), message_hook=recorder, notifications=True) as pilot:
        await market_ready(pilot, c)
        c.app.run_command(f"close {symbol}", partial(c.trader.close_position, symbol))
        await wait_for(pilot, lambda: bool(recorder.finished), "the command to finish")
        title = "close [bold red]x[/] refused"
        await wait_for(pilot, lambda: bool(recorder.titled(title)), "the refusal toast")
        assert recorder.titled(title) == ["no open position in [bold red]x[/]"]
        shown = "close [bold red]x[/] refused\nno open position in [bold red]x[/]"
        await wait_for(pilot, lambda: shown in toast_texts(c.app), "the toast, literally")
        logged = "close [bold red]x[/] refused: no open position in [bold red]x[/]"
        await wait_for(pilot, lambda: logged in log_text(c.app), "the log line, literally")
        assert_no_control(screen_plain(c.app) + "".join(toast_texts(c.app)))


async def test_a_theme_file_name_with_markup_and_escapes_is_literal(
    cockpit: Make, tmp_path: Path
) -> None:
    themes = tmp_path / "themes"
    themes.mkdir()
    # A file name cannot hold "/", so the markup has no closing tag (it still applies).
    (themes / "[@click=app.quit]quit\x1b[31m.toml").write_text("not = [valid", "utf-8")
    c = cockpit()
    recorder = Recorder()
    async with c.app.run_test(size=(160, 48), message_hook=recorder, notifications=True) as pilot:
        await market_ready(pilot, c)
        notices = recorder.titled("Theme file ignored")
        assert len(notices) == 1
        assert notices[0].startswith("[@click=app.quit]quit.toml: cannot read theme")
        assert_no_control(notices[0])
        await wait_for(
            pilot,
            lambda: any("[@click=app.quit]quit.toml" in t for t in toast_texts(c.app)),
            "the file name in the toast, literally",
        )
        assert_no_control("".join(toast_texts(c.app)))
        await click_text(pilot, c.app, "[@click=app.quit]quit.toml", "quit")
        await pilot.pause(0.3)
        assert c.app.is_running and c.app.return_code is None
