"""The LLM advisor inside a real paper trader, against a local OpenAI-compatible server."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.doubles.binance_matching import SymbolSpec
from tests.doubles.openai_server import Mode, OpenAIDouble
from tests.integration.conftest_binance import quote_btc
from tests.llm_decisions import decision_reply
from tests.trader_support import (
    START,
    entry_groups,
    feed,
    make_settings,
    opened,
    running_engine,
    sim_events,
)
from tui_trader.binance.client import loopback_endpoints
from tui_trader.binance.venue_parts import Timing
from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.resilience.retry import Backoff
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.trader import Trader

BINANCE_FAST = Timing(
    request_timeout_s=1.0,
    ws_timeout_s=1.0,
    socket_poll_s=0.1,
    backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
)


@pytest.fixture(name="llm")
async def llm_fixture() -> AsyncIterator[OpenAIDouble]:
    server = OpenAIDouble()
    await server.start()
    yield server
    await server.close()


def use_llm(monkeypatch: pytest.MonkeyPatch, server: OpenAIDouble, mode: str, **env: str) -> None:
    values = {
        "LLM_ENABLED": "true",
        "LLM_MODE": mode,
        "LLM_BASE_URL": server.base_url,
        "LLM_TIMEOUT_S": "2",
        "LLM_MAX_RETRIES": "0",
        "LLM_COOLDOWN_S": "0",
        "OPENAI_API_KEY": "test-not-a-key",
        **env,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def entry(trader: Trader, intent_id: str, side: Side = Side.BUY) -> OrderIntent:
    price = trader.core.parts.market.price("BTCUSDT")
    return OrderIntent(
        intent_id=intent_id,
        symbol="BTCUSDT",
        side=side,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.001"),
        price=price,
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=price,
        reason="test",
        strategy="test",
    )


def long_decision(entry_price: float, size_pct: float) -> dict[str, object]:
    """A decide-mode reply: go long with a limit at `entry_price` for `size_pct` of
    equity, the stop 2% under it."""
    return decision_reply("long", entry=entry_price, size_pct=size_pct)


async def settle(trader: Trader) -> None:
    """Let the link's tasks finish, then the engine."""
    assert trader.advice is not None
    for _ in range(100):
        if not trader.advice._tasks:
            break
        await asyncio.sleep(0.02)
    await trader.engine.drain()


async def orders_after(tmp: Path, events: int) -> list[str]:
    async with running_engine(opened(make_settings(tmp))) as trader:
        await trader.start()
        await feed(trader, sim_events(trader), events)
        if trader.advice is not None:
            await trader.advice.advisor.wait_idle()
        await trader.parts.journal.flush()
        return [o.client_order_id for o in await trader.parts.journal.orders()]


async def test_advisory_never_changes_orders(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = 6 * 60 * 42
    without = await orders_after(tmp_path / "plain", events)
    llm.content = json.dumps(
        {
            "action": "SELL_CONSIDER",
            "confidence": 1.0,
            "reasoning": "everything is awful",
            "risk_notes": "",
        }
    )
    use_llm(monkeypatch, llm, "advisory")
    with_llm = await orders_after(tmp_path / "advised", events)
    assert without and with_llm == without
    assert llm.request_count >= 1  # it was asked, and ignored for trading


async def test_gate_blocks_a_disagreeing_entry_but_never_an_exit(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, llm, "gate")
    llm.content = json.dumps(
        {"action": "HOLD", "confidence": 0.9, "reasoning": "no", "risk_notes": ""}
    )
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 50)
        await trader.start()
        trader._route(entry(trader, "gated-1"))
        await settle(trader)
        assert await trader.parts.broker.open_orders() == []
        blocked = trader.history.safety[0]
        assert blocked.kind == "llm_gate" and "HOLD" in blocked.message

        llm.content = json.dumps(
            {"action": "BUY_CONSIDER", "confidence": 0.9, "reasoning": "yes", "risk_notes": ""}
        )
        trader._route(entry(trader, "gated-2"))
        await settle(trader)
        assert len(await trader.parts.broker.open_orders()) == 1

        requests_before = llm.request_count
        exit_intent = replace(entry(trader, "exit-1", Side.SELL), purpose=IntentPurpose.STOP_LOSS)
        assert trader.advice is not None
        assert not trader.advice.takes(exit_intent)
        assert llm.request_count == requests_before  # exits never ask


async def test_decide_intent_still_refused_by_risk_over_a_limit(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, llm, "decide")
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 50)
        await trader.start()
        price = float(trader.core.parts.market.price("BTCUSDT"))
        # A buy limit 5% over the market: the risk gate's slippage check (50 bps) refuses.
        llm.content = json.dumps(long_decision(entry_price=round(price * 1.05, 2), size_pct=1))
        trader._route(entry(trader, "decide-1"))
        await settle(trader)
        refusal = next(e for e in trader.history.safety if e.kind == "risk_rejected")
        assert "slippage" in refusal.message
        assert await trader.parts.broker.open_orders() == []


async def test_slow_llm_does_not_stall_trading(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, llm, "gate", LLM_TIMEOUT_S="0.5")
    llm.mode = Mode.SLOW
    llm.delay_s = 3.0
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        events = sim_events(trader)
        await feed(trader, events, 50)
        await trader.start()
        trader._route(entry(trader, "slow-1"))
        loop = asyncio.get_running_loop()
        started = loop.time()
        await feed(trader, events, 2000)  # the market keeps flowing meanwhile
        assert loop.time() - started < 0.5
        await settle(trader)
        assert trader.history.safety[0].kind == "llm_gate"  # timed out → blocked, fail-safe


async def test_budget_stops_calls(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, llm, "advisory", LLM_DAILY_CALL_BUDGET="1")
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        assert trader.advice is not None
        await feed(trader, sim_events(trader), 50)
        for _ in range(3):
            trader.advice.ask("BTCUSDT", "timer")
            await trader.advice.advisor.wait_idle()
        assert llm.request_count == 1
        assert trader.advice.advisor.budget_status().calls == 1


async def test_failing_llm_opens_the_circuit_and_calls_pause(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_llm(monkeypatch, llm, "advisory")
    llm.mode = Mode.ERROR_500
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        assert trader.advice is not None
        await feed(trader, sim_events(trader), 50)
        for _ in range(8):
            trader.advice.ask("BTCUSDT", "timer")
            await trader.advice.advisor.wait_idle()
        opened_events = [e for e in trader.history.safety if e.kind == "breaker_open"]
        assert len(opened_events) == 1 and "LLM advisor" in opened_events[0].message
        assert llm.request_count == 5  # the last three never left the process


async def test_decide_mode_on_binance_rounds_with_the_exchange_filters(
    tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The advice link reads the symbol rules the trader holds now, not a copy taken when
    it was built: Binance's filters arrive at open() and replace the defaults."""
    exchange = BinanceExchangeDouble(
        specs={
            "BTCUSDT": SymbolSpec("BTC", "USDT", tick=Decimal("0.10"), step=Decimal("0.001")),
            "ETHUSDT": SymbolSpec("ETH", "USDT"),
        }
    )
    await exchange.start()
    use_llm(monkeypatch, llm, "decide", MAX_SLIPPAGE_BPS="10000")
    setup = ExchangeSetup(loopback_endpoints(exchange.port), BINANCE_FAST)
    trader = build_trader(make_settings(tmp_path), start=START, binance=setup, **entry_groups())
    try:
        async with running_engine(trader):
            assert trader.core.parts.rules["BTCUSDT"].tick_size == Decimal("0.10")
            reading = asyncio.create_task(trader._feed_loop())
            await quote_btc(exchange, trader)
            await trader.start()
            llm.content = json.dumps(long_decision(entry_price=100.17, size_pct=0.6234))
            equity = trader.core.parts.portfolio.equity()
            trader._route(entry(trader, "decide-binance"))
            await settle(trader)
            reading.cancel()
            [order] = await trader.parts.broker.open_orders()
            wanted = equity * Decimal("0.006234") / Decimal("100.17")
            assert order.price == Decimal("100.1")  # a buy rounds down to the 0.10 tick
            assert order.quantity == wanted.quantize(Decimal("0.001"), ROUND_FLOOR)
            assert not [e for e in trader.history.safety if e.kind == "risk_rejected"]
    finally:
        await exchange.stop()
