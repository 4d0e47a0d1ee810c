"""Fault: the LLM (a local OpenAI-compatible double) answers with hostile text: markup that
would close tags that are not open, style the panel or bind a click to app.quit, and
escape sequences that would clear the screen or retitle the terminal. The cockpit keeps
running and shows the text literally, without a single control character."""

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.doubles.openai_server import OpenAIDouble, advisory_llm
from tests.tui.tui_support import Cockpit, make_cockpit, market_ready, screen_plain, wait_for

REASONING = "[/INST] [bold red]x[/] [@click=app.quit]quit[/] \x1b[2J\x1b]0;pwned\x07ok\x00"
REASONING_SHOWN = "[/INST] [bold red]x[/] [@click=app.quit]quit[/] ok"
# A reply that breaks the schema with a hostile key: the validation error quotes it,
# and that error is what the panel shows for an invalid advice.
BAD_KEY = "[/]\x1b[31m"
CONTROL = ("\x1b", "\x07", "\x00")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("NO_COLOR", "THEME", "SYMBOLS", "STRATEGY", "SIM_SPEED", "TEXTUAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no stray .env from the caller's cwd
    with keyring_installed(MemoryKeyring()):
        yield


@pytest.fixture
async def llm(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OpenAIDouble]:
    async with advisory_llm(monkeypatch) as server:
        yield server


def reply(**extra: object) -> str:
    advice = {"action": "BUY_CONSIDER", "confidence": 0.6, "reasoning": REASONING}
    return json.dumps({**advice, "risk_notes": REASONING, **extra})


async def ask(c: Cockpit, llm: OpenAIDouble, content: str) -> None:
    assert c.trader.advice is not None
    llm.content = content
    c.trader.advice.ask("BTCUSDT", "timer")
    await c.trader.advice.advisor.wait_idle()
    c.trader.touch()  # an advice alone does not bump the snapshot version


@pytest.mark.fault("hostile text from outside", "shown literally, no markup, no control characters")
async def test_hostile_llm_reply_is_shown_literally(tmp_path: Path, llm: OpenAIDouble) -> None:
    c = make_cockpit(tmp_path)
    async with c.app.run_test(size=(120, 30)) as pilot:
        await market_ready(pilot, c)
        await ask(c, llm, reply(**{BAD_KEY: 1}))  # invalid: its error quotes the key
        await ask(c, llm, reply())
        await pilot.press("4")  # the LLM tab
        wanted = (REASONING_SHOWN, "schema violation: [/]: Extra inputs")
        await wait_for(
            pilot,
            lambda: all(text in screen_plain(c.app) for text in wanted),
            "the hostile advice and the invalid one, literally",
        )
        screen = screen_plain(c.app)
        assert not [char for char in CONTROL if char in screen]
        assert "pwned" not in screen
        line = next(line for line in screen.splitlines() if REASONING_SHOWN in line)
        await pilot.click(offset=(line.index("quit[/]"), screen.splitlines().index(line)))
        await pilot.pause(0.3)
        assert c.app.is_running and c.app.return_code is None
