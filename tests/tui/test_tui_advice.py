"""The LLM panel shows the latest advice per symbol and a history, newest first, with
the advisor talking to a local OpenAI-compatible server."""

import json
from collections.abc import AsyncIterator, Callable

import pytest
from tui_support import Cockpit, market_ready, wait_for

from tests.doubles.openai_server import OpenAIDouble, advisory_llm

Make = Callable[..., Cockpit]


@pytest.fixture
async def llm(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OpenAIDouble]:
    async with advisory_llm(monkeypatch) as server:
        yield server


async def test_llm_tab_shows_latest_advice_and_history(cockpit: Make, llm: OpenAIDouble) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        assert c.trader.advice is not None
        for reasoning in ("first look", "second look"):
            llm.content = json.dumps(
                {
                    "action": "BUY_CONSIDER",
                    "confidence": 0.7,
                    "reasoning": reasoning,
                    "risk_notes": "",
                }
            )
            c.trader.advice.ask("BTCUSDT", "timer")
            await c.trader.advice.advisor.wait_idle()
        await pilot.press("4")

        def shown() -> bool:
            text = c.app.export_screenshot()
            return "History" in text and text.count("look") >= 3  # latest + 2 history rows

        await wait_for(pilot, shown, "latest advice and its history")
        screen = c.app.export_screenshot()
        assert screen.index("second") < screen.rindex("first")  # newest first
