"""A decision's plan inside a real paper trader, against the OpenAI double: the entry it
asks for, then each exit field acting on the position at its own level or time; a
decision the account cannot take is refused with the reason, journaled and shown."""

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.openai_server import OpenAIDouble
from tests.integration.test_trader_llm import llm_fixture, settle, use_llm  # noqa: F401
from tests.llm_decisions import decision_reply
from tests.trader_support import START, make_settings, opened, running_engine
from tui_trader.domain.enums import IntentPurpose
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.market import Tick
from tui_trader.runtime.plan_store import PLAN_KEY
from tui_trader.runtime.trader import Trader

BTC = "BTCUSDT"


async def at(trader: Trader, price: str, minutes: float = 0) -> None:
    """The market trades at `price`, `minutes` after the start: orders match, exits act."""
    value = Decimal(price)
    ts = START + timedelta(minutes=minutes)
    trader.on_market_event(Tick(symbol=BTC, ts=ts, price=value, bid=value, ask=value))
    await trader.engine.drain()


async def trade_at(trader: Trader, price: str, minutes: float) -> None:
    """Two ticks at `price`: what the first decides (an exit, an add: market orders)
    fills on the second, half a minute later."""
    await at(trader, price, minutes)
    await at(trader, price, minutes + 0.5)


async def decided(trader: Trader, llm: OpenAIDouble, price: str = "100", **order: Any) -> None:
    """The model decides on a long at market for 5% of equity, the stop at 95."""
    await at(trader, price)
    await trader.start()
    llm.content = json.dumps(decision_reply("long", entry=None, size_pct=5, stop_loss=95, **order))
    assert trader.advice is not None
    await trader.advice.decide_now(BTC, "timer")
    await settle(trader)
    await at(trader, price, 0.01)  # the market entry fills


@pytest.fixture(name="decide")
def decide_fixture(tmp_path: Path, llm: OpenAIDouble, monkeypatch: pytest.MonkeyPatch) -> Trader:
    use_llm(monkeypatch, llm, "decide")
    settings = make_settings(
        tmp_path,
        SYMBOLS=BTC,
        ALLOW_MARKET_ORDERS="true",
        FEE_RATE="0",
        MP_DELTA_PCT="50",  # the test moves the price: no volatility decisions of their own
    )
    return opened(settings)


def tp(price: float, ratio: float) -> dict[str, float]:
    return {"price": price, "close_ratio": ratio}


def held(trader: Trader) -> Decimal:
    return trader.core.parts.portfolio.held(BTC)


async def test_partial_take_profits_close_their_share_at_their_level(
    decide: Trader, llm: OpenAIDouble
) -> None:
    tps = [{"price": 104, "close_ratio": 0.5}, {"price": 108, "close_ratio": 0.25}]
    async with running_engine(decide) as trader:
        await decided(trader, llm, take_profits=tps)
        size = held(trader)
        assert size == Decimal(5)  # 5% of 10000 USDT at 100
        await at(trader, "103.9", 1)
        assert held(trader) == size
        await trade_at(trader, "104", 2)
        assert held(trader) == size / 2
        await trade_at(trader, "108", 4)
        assert held(trader) == size / 4  # the rest follows the stop
        await at(trader, "120", 6)
        assert held(trader) == size / 4
        await trade_at(trader, "95", 7)
        assert held(trader) == 0
        await trader.parts.journal.flush()
        purposes = [o.purpose for o in await trader.parts.journal.orders()]
        assert purposes.count(IntentPurpose.TAKE_PROFIT) == 2
        assert purposes.count(IntentPurpose.STOP_LOSS) == 1


async def test_the_hold_duration_closes_the_position_on_time(
    decide: Trader, llm: OpenAIDouble
) -> None:
    async with running_engine(decide) as trader:
        await decided(trader, llm, hold_duration_min=20)
        assert held(trader) == 5
        await at(trader, "100", 19.9)
        assert held(trader) == 5
        await trade_at(trader, "100", 20.01)  # 20 minutes after the entry filled
        assert held(trader) == 0
        await trader.parts.journal.flush()
        orders = await trader.parts.journal.orders()
        assert [o.purpose for o in orders if o.purpose.is_exit] == [IntentPurpose.MAX_HOLDING]


async def test_a_decision_over_the_leverage_limit_is_refused_journaled_and_shown(
    decide: Trader, llm: OpenAIDouble
) -> None:
    async with running_engine(decide) as trader:
        await decided(trader, llm, leverage=3)
        assert held(trader) == 0 and not trader.core.parts.orders.open_for(BTC)
        [refused] = [e for e in trader.history.safety if e.kind is SafetyKind.LLM_GATE]
        assert refused.message == (
            "LLM decide (timer): decision refused: leverage 3x on spot: spot trades at 1x only"
        )
        assert refused.symbol == BTC
        await trader.parts.journal.flush()
        journaled = await trader.parts.journal.safety_events()
        assert any("leverage 3x on spot" in e.message for e in journaled)


async def test_scale_in_adds_once_per_level_as_new_entries(
    decide: Trader, llm: OpenAIDouble
) -> None:
    adds = [{"price": 98, "size_pct_equity": 2}, {"price": 97, "size_pct_equity": 2.5}]
    async with running_engine(decide) as trader:
        await decided(trader, llm, scale_in=adds)
        await trade_at(trader, "97.9", 1)
        assert held(trader) == Decimal("7.04081")  # + 200 USDT at 98, down to the step
        await trade_at(trader, "97", 3)
        assert held(trader) == Decimal("9.61812")  # + 250 USDT at 97
        await trade_at(trader, "96", 5)
        assert held(trader) == Decimal("9.61812")  # each level once
        await trader.parts.journal.flush()
        entries = [o for o in await trader.parts.journal.orders() if not o.purpose.is_exit]
        assert len(entries) == 3 and not [
            e for e in trader.history.safety if e.kind is SafetyKind.RISK_REJECTED
        ]


async def test_a_restarted_trader_goes_on_with_the_plan_where_it_had_got(
    decide: Trader, llm: OpenAIDouble
) -> None:
    order = {"take_profits": [tp(104, 0.5)], "scale_in": [{"price": 98, "size_pct_equity": 2}]}
    async with running_engine(decide) as trader:
        await decided(trader, llm, **order)
        await trade_at(trader, "97.9", 1)
        assert held(trader) == Decimal("7.04081")  # the add, 200 USDT at 98
    async with running_engine(opened(decide.settings)) as restarted:
        await trade_at(restarted, "97.5", 2)
        assert held(restarted) == Decimal("7.04081")  # the add was taken: not again
        await trade_at(restarted, "104", 3)
        assert held(restarted) == Decimal("3.52041")  # half of the 7.04081, down to the step
    async with running_engine(opened(decide.settings)) as third:
        await trade_at(third, "104", 4)
        assert held(third) == Decimal("3.52041")  # the take-profit was done: not again
        await trade_at(third, "95", 5)  # the plan's stop, not STOP_LOSS_PCT's 2%
        assert held(third) == 0
        await third.parts.journal.flush()
        assert await third.parts.journal.get_meta(PLAN_KEY + BTC) == ""  # closed: forgotten


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("{not json at all", "no JSON object found in the reply"),
        (
            json.dumps(decision_reply("long", take_profits=[tp(104, 0.7), tp(108, 0.4)])),
            "close_ratio values sum to 1.1, more than 1",
        ),
        (json.dumps(decision_reply("long", stop_loss=101)), "stop_loss 101 is on the wrong side"),
    ],
)
async def test_bad_decisions_are_refused_with_the_reason_and_nothing_is_lost(
    decide: Trader, llm: OpenAIDouble, reply: str, reason: str
) -> None:
    async with running_engine(decide) as trader:
        await at(trader, "100")
        await trader.start()
        llm.content = reply
        assert trader.advice is not None
        await trader.advice.decide_now(BTC, "timer")
        await settle(trader)
        [refused] = [e for e in trader.history.safety if e.kind is SafetyKind.LLM_GATE]
        assert refused.message.startswith("LLM decide (timer): decision refused: ")
        assert reason in refused.message
        assert not trader.core.parts.orders.open_for(BTC) and held(trader) == 0
        await trader.parts.journal.flush()
        assert any(reason in e.message for e in await trader.parts.journal.safety_events())
        assert await trader.parts.journal.integrity_check() == []
