"""A decide-mode decision on USD-M against the exchange double's Algo Service and the
OpenAI double: the prompt states the account's constraints and the environment, the
decision's stop goes to the exchange, its trailing stop moves that stop only once the
activation price is reached, and its partial take-profit stays the trader's own."""

import asyncio
import json
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.doubles.openai_server import OpenAIDouble
from tests.integration.conftest_binance import exchange_fixture  # noqa: F401
from tests.integration.test_exchange_stops import (
    algo_open,
    guarded,
    keeping_stops,
    mark_tick,
    stop_settings,
)
from tests.integration.test_trader_futures import until
from tests.integration.test_trader_llm import llm_fixture, settle, use_llm  # noqa: F401
from tests.llm_decisions import decision_reply
from tests.trader_support import running_engine
from tui_trader.domain.events import SafetyKind
from tui_trader.runtime.trader import Trader

BTC = "BTCUSDT"


@pytest.fixture(name="trader")
def trader_fixture(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    llm: OpenAIDouble,
    exchange: BinanceExchangeDouble,
) -> Trader:
    use_llm(monkeypatch, llm, "decide", MP_DELTA_PCT="50")
    exchange.futures.set_mark(BTC, "50000")
    return guarded(stop_settings(tmp_path, monkeypatch), exchange)


async def decide(trader: Trader, llm: OpenAIDouble, reply: dict[str, Any]) -> None:
    trader.core.parts.market.symbols[BTC].last = Decimal(50000)
    await trader.start()
    llm.content = json.dumps(reply)
    assert trader.advice is not None
    await trader.advice.decide_now(BTC, "timer")
    await settle(trader)


async def test_the_decisions_stop_is_held_by_the_exchange_and_trails_after_activation(
    trader: Trader, llm: OpenAIDouble, exchange: BinanceExchangeDouble
) -> None:
    reply = decision_reply(
        "long",
        entry=None,
        size_pct=2,
        leverage=3,
        stop_loss=48500,
        take_profits=[{"price": 53000, "close_ratio": 0.5}],
        trailing_stop={"activation_price": 51000, "callback_rate_pct": 1},
    )
    async with running_engine(trader), keeping_stops(trader):
        equity = trader.core.parts.portfolio.equity()
        await decide(trader, llm, reply)
        # 2% of equity as margin at 3x, at the 50000 market price, down to the 0.001 step
        size = (equity * Decimal("0.06") / 50000).quantize(Decimal("0.001"), ROUND_FLOOR)
        await until(lambda: trader.core.parts.portfolio.held(BTC) == size)
        # The decision's stop, not STOP_LOSS_PCT's 2%; no exchange take-profit for a
        # partial one (the exchange's copy would close the half a second time).
        await until(lambda: algo_open(exchange) == [("STOP_MARKET", "SELL", f"{size:f}", "48500")])
        exchange.futures.set_mark(BTC, "50900")
        mark_tick(trader, "50900")  # under the activation price: no trailing yet
        await asyncio.sleep(0.3)  # several of the keeper's checks
        assert algo_open(exchange) == [("STOP_MARKET", "SELL", f"{size:f}", "48500")]
        exchange.futures.set_mark(BTC, "51500")
        mark_tick(trader, "51500")  # trailing: 1% under the best price since, 51500
        await until(lambda: algo_open(exchange) == [("STOP_MARKET", "SELL", f"{size:f}", "50985")])
        exchange.futures.set_mark(BTC, "53000")
        mark_tick(trader, "53000")  # the take-profit closes half, reduce-only; the stop follows
        half = size / 2
        await until(lambda: trader.core.parts.portfolio.held(BTC) == half)
        stop = ("STOP_MARKET", "SELL", f"{half.normalize():f}", "52470")  # 1% under 53000
        await until(lambda: algo_open(exchange) == [stop])
        prompt = json.loads(llm.requests[0]["messages"][-1]["content"])
        assert prompt["environment"] == "testnet"
        constraints = prompt["constraints"]
        assert (constraints["max_leverage"], constraints["market_type"]) == (5, "futures")
        assert constraints["exchange_side_stops"] == "true"
        assert constraints["min_confidence"] == 0.6  # LLM_GATE_THRESHOLD
        for name in ("min_notional", "step_size", "tick_size", "fee_rate", "max_position_pct"):
            assert constraints[name] not in (None, "")


async def test_leverage_above_the_accounts_maximum_is_refused_with_the_reason(
    trader: Trader, llm: OpenAIDouble, exchange: BinanceExchangeDouble
) -> None:
    reply = decision_reply("long", entry=None, size_pct=1, leverage=6, stop_loss=48500)
    async with running_engine(trader):
        await decide(trader, llm, reply)
        [refused] = [e for e in trader.history.safety if e.kind is SafetyKind.LLM_GATE]
        assert refused.message.endswith(
            "decision refused: leverage 6x is above the account's maximum 5x (MAX_LEVERAGE)"
        )
        assert exchange.futures.engine.position(BTC)[0] == 0
