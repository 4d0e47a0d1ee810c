"""Decide mode beyond strategy entries: the model decides on a clock-aligned schedule and
on volatility triggers (once per cooldown); its entry is taken only where a strategy's
could be, through the whole order gate, against the OpenAI double."""

import asyncio
import json
from pathlib import Path

import pytest

from tests.doubles.openai_server import OpenAIDouble
from tests.integration.test_trader_llm import (
    llm_fixture,  # noqa: F401
    long_decision,
    settle,
    use_llm,
)
from tests.trader_support import feed, make_settings, opened, running_engine, sim_events
from tui_trader.domain.events import SafetyKind
from tui_trader.runtime.trader import Trader


async def priced(trader: Trader, llm_double: OpenAIDouble, size_pct: float = 1) -> None:
    await feed(trader, sim_events(trader), 50)
    price = float(trader.core.parts.market.price("BTCUSDT"))
    llm_double.content = json.dumps(long_decision(entry_price=round(price, 2), size_pct=size_pct))


async def test_the_model_decides_on_its_schedule_and_its_entry_goes_to_the_gate(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, llm, "decide", MAX_SLIPPAGE_BPS="10000", LLM_DECIDE_EVERY_MIN="0.005")
    async with running_engine(opened(make_settings(tmp_path, SYMBOLS="BTCUSDT"))) as trader:
        await priced(trader, llm)
        await trader.start()
        async with asyncio.timeout(10):
            while not trader.core.parts.orders.open_for("BTCUSDT"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        [order] = trader.core.parts.orders.open_for("BTCUSDT")
        assert order.intent_id.startswith("llm-BTCUSDT-") and llm.request_count >= 1


async def test_a_decision_while_entries_are_held_is_refused_with_the_reason(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, llm, "decide", MAX_SLIPPAGE_BPS="10000")
    async with running_engine(opened(make_settings(tmp_path, SYMBOLS="BTCUSDT"))) as trader:
        await priced(trader, llm)
        assert trader.advice is not None  # the engine is not started: entries are held
        await trader.advice.decide_now("BTCUSDT", "timer")
        await settle(trader)
        [refused] = [e for e in trader.history.safety if e.kind is SafetyKind.LLM_GATE]
        assert "LLM decide (timer): entries are held" in refused.message
        assert not trader.core.parts.orders.open_for("BTCUSDT")


async def test_volatility_decisions_wait_out_the_cooldown(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, llm, "decide", LLM_COOLDOWN_S="600")
    async with running_engine(opened(make_settings(tmp_path, SYMBOLS="BTCUSDT"))) as trader:
        await priced(trader, llm)
        assert trader.advice is not None
        trader.advice.decide_soon("BTCUSDT", "volatility")
        trader.advice.decide_soon("BTCUSDT", "volatility")  # within the cooldown: nothing
        await settle(trader)
        assert llm.request_count == 1
