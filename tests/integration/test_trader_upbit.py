"""Issue 17, Upbit paper trading: a real Trader with VENUE=upbit on the local Upbit double
(REST and WebSocket on 127.0.0.1), changed by configuration only. Upbit's prices and
candles reach the paper trader, its orders obey Upbit's rules, an unreachable Upbit
falls back to the simulated market out loud and is tried again (live: test_trader_upbit_live)."""

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.upbit_quotation import UpbitQuotation
from tests.doubles.upbit_stream import UpbitStream, upbit_venue, ws_url
from tests.trader_support import START, entry_groups, make_settings, running_engine
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.domain.rules import SymbolRules
from tui_trader.resilience.retry import Backoff
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.trader import Trader
from tui_trader.upbit.venue_parts import UpbitTiming

BTC = "KRW-BTC"
FAST = UpbitTiming(request_timeout_s=2.0, pause_s=0.01, stale_after_s=2.0, asset_settle_s=0.2,
                   backoff=Backoff(base_s=0.02, max_s=0.1, jitter=0.5),
                   retry=Backoff(base_s=0.05, max_s=0.1, jitter=0.5))  # fmt: skip


def upbit_trader(tmp_path: Path, url: str, **overrides: Any) -> Trader:
    settings = make_settings(
        tmp_path, VENUE="upbit", QUOTE_ASSET="KRW", SYMBOLS="BTCKRW,ETHKRW",
        PAPER_QUOTE_BALANCE="100000000", UPBIT_API_URL=url, UPBIT_WS_URL=ws_url(url),
        **overrides,
    )  # fmt: skip
    setup = ExchangeSetup(upbit=FAST)
    return build_trader(settings, start=START, binance=setup, **entry_groups())


@pytest.fixture
async def upbit() -> AsyncIterator[tuple[UpbitQuotation, UpbitStream, str]]:
    quotation, stream = UpbitQuotation(now=datetime.now(UTC)), UpbitStream()
    async with upbit_venue(quotation, stream) as url:
        yield quotation, stream, url


def kinds(trader: Trader) -> list[str]:
    return [event.kind for event in trader.history.safety]


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def buy(price: str) -> OrderIntent:
    return OrderIntent(
        intent_id="manual-1", symbol="BTCKRW", side=Side.BUY, order_type=OrderType.LIMIT,
        quantity=Decimal("0.001"), price=Decimal(price), purpose=IntentPurpose.ENTRY,
        created_at=START, reference_price=Decimal(price), reason="test",
    )  # fmt: skip


async def test_paper_trades_on_upbit_prices_and_candles(
    upbit: tuple[UpbitQuotation, UpbitStream, str], tmp_path: Path
) -> None:
    quotation, stream, url = upbit
    async with running_engine(upbit_trader(tmp_path, url)) as trader:
        assert trader.parts.feed.name == "upbit" and trader.snapshot().mode == "PAPER"
        [connected] = [e for e in trader.history.safety if e.kind == "exchange_connected"]
        assert connected.message == "Upbit market data, paper broker"
        assert trader.core.parts.rules["BTCKRW"] == SymbolRules(
            "BTCKRW", Decimal(1000), Decimal("1E-8"), Decimal("1E-8"), Decimal("1E12"),
            Decimal(5000), Decimal(1_000_000_000),
        )  # fmt: skip
        assert {r["market"] for r in quotation.requests} == {BTC, "KRW-ETH"}  # warm-up
        assert {view.signal for view in trader.snapshot().prices}.isdisjoint({"WARMUP"})
        assert trader.engine.broker is trader.parts.broker  # the paper broker
        loop = asyncio.create_task(trader._feed_loop())
        await stream.wait_subscribed(1)
        now = quotation.now
        await stream.ticker(BTC, 90_000_000, "0.5", now)
        await until(lambda: trader.core.parts.market.price("BTCKRW") == 90_000_000)
        await trader.start()
        placed = await trader.engine.process(buy("90010000"))
        assert placed is not None and placed.status is OrderStatus.NEW
        await stream.ticker(BTC, 90_000_000, "0.5", now)  # trades through the limit
        await until(lambda: trader.core.parts.portfolio.balance("BTC") == Decimal("0.001"))
        opened = now.replace(second=0, microsecond=0)
        await stream.candle(BTC, opened - timedelta(minutes=1))  # late: the warm-up had it
        await stream.candle(BTC, opened)
        await stream.candle(BTC, opened + timedelta(minutes=1), final=False)
        await until(lambda: any(s.candles for s in trader.snapshot().candles))
        [series] = [s for s in trader.snapshot().candles if s.candles]
        assert series.symbol == "BTCKRW"
        assert [c.open_time for c in series.candles] == [opened]
        loop.cancel()


async def test_an_order_under_upbits_minimum_is_refused_locally(
    upbit: tuple[UpbitQuotation, UpbitStream, str], tmp_path: Path
) -> None:
    _quotation, _stream, url = upbit
    async with running_engine(upbit_trader(tmp_path, url)) as trader:
        trader.core.parts.market.symbols["BTCKRW"].last = Decimal(90_000_000)
        await trader.start()
        small = replace(buy("90000500"), quantity=Decimal("0.00005"))
        assert await trader.engine.process(small) is None
        [refused] = [e for e in trader.history.safety if e.kind == "risk_rejected"]
        assert "NOTIONAL: 4500" in refused.message and "5000" in refused.message
        assert "PRICE_FILTER" in refused.message  # 90,000,500 is not on the 1,000 won tick


async def test_unreachable_upbit_falls_back_to_the_simulated_market_and_says_so(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    async with running_engine(upbit_trader(tmp_path, url)) as trader:
        [event] = [e for e in trader.history.safety if e.kind == "exchange_unreachable"]
        assert event.message.startswith("Upbit unreachable: ClientConnectorError")
        assert event.message.endswith("SIMULATED market, not on live prices; trying Upbit again")
        assert trader.snapshot().feeds[0].name == "sim (Upbit unreachable)"
        assert trader.snapshot().mode == "PAPER"


async def test_upbit_is_retried_and_replaces_the_simulated_market(
    upbit: tuple[UpbitQuotation, UpbitStream, str], tmp_path: Path
) -> None:
    quotation, _stream, url = upbit
    listed, quotation.markets = quotation.markets, {}  # Upbit lists neither symbol yet
    async with running_engine(upbit_trader(tmp_path, url)) as trader:
        [event] = [e for e in trader.history.safety if e.kind == "exchange_unreachable"]
        assert event.message.startswith("symbols unknown to Upbit: BTCKRW, ETHKRW")
        retry = asyncio.create_task(dict(trader.edge_tasks())["exchange-retry"]())
        await until(lambda: "exchange_retry_failed" in kinds(trader))
        quotation.markets = listed
        await until(lambda: trader.parts.feed.name == "upbit")
        await retry
        assert trader.snapshot().feeds[0].name == "upbit"
        assert trader.core.parts.rules["ETHKRW"].tick_size == 1000
