"""A real Trader linked to the Binance exchange double: paper on Binance's data, the
simulated fallback when Binance is unreachable, the testnet broker with a restart that
reconciles, and the live switch behind the key check."""

import asyncio
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import (
    API_KEY,
    API_SECRET,
    BinanceExchangeDouble,
    HttpFault,
    key_restrictions,
)
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration.conftest_binance import exchange_fixture, quote_btc  # noqa: F401
from tests.trader_support import START, entry_groups, make_settings, only_stopped, running_engine
from tui_trader.binance.client import Endpoints, loopback_endpoints
from tui_trader.binance.spot_broker import BinanceSpotBroker
from tui_trader.binance.venue_parts import Timing
from tui_trader.config import Settings
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.resilience.retry import Backoff
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.live_access import LIVE_PHRASE, LIVE_TOKEN_FILE
from tui_trader.runtime.trader import Trader

FAST = Timing(
    request_timeout_s=1.0,
    ws_timeout_s=1.0,
    socket_poll_s=0.1,
    backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
)


def linked(settings: Settings, urls: Endpoints) -> Trader:
    return build_trader(settings, start=START, binance=ExchangeSetup(urls, FAST), **entry_groups())


def kinds(trader: Trader) -> list[str]:
    return [event.kind for event in trader.history.safety]


def buy(price: str, intent_id: str = "manual-1") -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id,
        symbol="BTCUSDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.002"),
        price=Decimal(price),
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=Decimal(price),
        reason="test",
    )


async def test_paper_trades_binance_public_data(
    exchange: BinanceExchangeDouble, tmp_path: Path
) -> None:
    urls = loopback_endpoints(exchange.port)
    async with running_engine(linked(make_settings(tmp_path), urls)) as trader:
        assert trader.parts.feed.name == "binance" and trader.snapshot().mode == "PAPER"
        assert "exchange_connected" in kinds(trader)
        assert trader.core.parts.rules["BTCUSDT"].step_size == Decimal("0.00001")
        assert trader.engine.broker is trader.parts.broker  # the paper broker
        loop = asyncio.create_task(trader._feed_loop())
        await quote_btc(exchange, trader)
        loop.cancel()


async def test_unreachable_binance_falls_back_to_the_simulated_market_and_says_so(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with running_engine(linked(make_settings(tmp_path), loopback_endpoints(port))) as t:
        [event] = [e for e in t.history.safety if e.kind == "exchange_unreachable"]
        assert event.message.startswith("Binance unreachable: ClientConnectorError")
        assert event.message.endswith("SIMULATED market, not on live prices; trying Binance again")
        assert t.snapshot().feeds[0].name == "sim (Binance unreachable)"
        assert t.snapshot().mode == "PAPER"


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_binance_is_retried_and_replaces_the_simulated_market_once_nothing_is_at_stake(
    exchange: BinanceExchangeDouble, tmp_path: Path
) -> None:
    info = HttpFault("/api/v3/exchangeInfo", "GET", status=503)
    exchange.faults.http += [info, replace(info)]  # at open, and the first retry
    timing = replace(FAST, retry=Backoff(base_s=0.05, max_s=0.1, jitter=0.5))
    setup = ExchangeSetup(loopback_endpoints(exchange.port), timing)
    trader = build_trader(make_settings(tmp_path), start=START, binance=setup, **entry_groups())
    async with running_engine(trader) as t:
        assert "exchange_unreachable" in kinds(t) and t.exchange.retry is not None
        [status] = t.snapshot().feeds
        assert (status.name, status.connected) == ("sim (Binance unreachable)", False)
        assert status.detail.startswith("retry 1 in ")
        tasks = dict(t.edge_tasks())
        running = [asyncio.create_task(tasks[name]()) for name in ("feed", "exchange-retry")]
        await t.start()  # trading on the simulated market: the move must wait
        await until(lambda: "exchange_back" in kinds(t))
        [back] = [e for e in t.history.safety if e.kind == "exchange_back"]
        assert back.message == (
            "Binance reachable again; still on the SIMULATED market until the engine is "
            "stopped, then switching to Binance data"
        )
        assert t.snapshot().feeds[0].detail == "Binance back; switching when the engine is stopped"
        assert t.exchange.retry.attempts == 1  # one failed retry, then Binance answered
        await until(lambda: t.core.parts.market.price("BTCUSDT") > 0)  # simulated prices
        await t.stop()
        await until(lambda: t.exchange.retry is None)
        assert t.parts.feed.name == "binance" and t.exchange.parts is not None
        assert t.core.parts.market.price("BTCUSDT") == 0  # no simulated price carried over
        assert t.core.parts.rules["BTCUSDT"].step_size == Decimal("0.00001")
        [connected] = [e for e in t.history.safety if e.kind == "exchange_connected"]
        assert connected.message.endswith("switched from the simulated market")
        await quote_btc(exchange, t)  # the feed loop follows Binance now
        assert t.snapshot().feeds[0].name == "binance"
        await t.parts.journal.flush()
        run = await t.parts.journal.latest_run()
        assert run is not None and run.feed == "binance"  # what `tui-trader status` shows
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


async def test_testnet_trades_on_the_binance_broker_and_reconciles_after_restart(
    exchange: BinanceExchangeDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BINANCE_TESTNET_API_KEY", API_KEY)
    monkeypatch.setenv("BINANCE_TESTNET_API_SECRET", API_SECRET)
    exchange.set_price("BTCUSDT", "50000")
    urls = loopback_endpoints(exchange.port)
    settings = make_settings(tmp_path, binance_env="testnet", MAX_SLIPPAGE_BPS="10000")
    with keyring_installed(MemoryKeyring()):
        trader = linked(settings, urls)
        await trader.open()
        assert isinstance(trader.engine.broker, BinanceSpotBroker)
        assert trader.snapshot().mode == "TESTNET"
        portfolio = trader.core.parts.portfolio
        assert (portfolio.balance("USDT"), portfolio.balance("BTC")) == (10000, 1)
        trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
        await trader.start()
        placed = await trader.engine.process(buy("49000"))
        assert placed is not None and placed.status is OrderStatus.NEW
        assert exchange.order_requests[0]["newClientOrderId"] == placed.client_order_id
        # kill -9: no graceful stop (which would cancel the entry); the journal keeps
        # what it had written. While no process runs, the order fills.
        await trader.parts.journal.close()
        await trader.engine.broker.close()
        await trader.parts.feed.close()
        await exchange.fill(placed.client_order_id, "0.002", "49000")
        async with running_engine(linked(settings, urls)) as restarted:
            assert restarted.core.parts.orders.get(placed.client_order_id) is None  # filled
            portfolio = restarted.core.parts.portfolio
            assert portfolio.balance("BTC") == Decimal("1.001998")  # from the exchange
            assert "reconciliation" in kinds(restarted)
            assert only_stopped(restarted)
            fills = await restarted.parts.journal.fills()
            assert [(f.quantity, f.trade_id) for f in fills] == [(Decimal("0.002"), "5001")]
    assert len(exchange.order_requests) == 1


async def test_live_switch_needs_keyring_keys_that_cannot_withdraw(
    exchange: BinanceExchangeDouble, tmp_path: Path
) -> None:
    urls = loopback_endpoints(exchange.port)
    settings = make_settings(tmp_path)
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    with keyring_installed(MemoryKeyring()) as backend:
        backend.set_password("tui-trader", "binance:key", API_KEY)
        backend.set_password("tui-trader", "binance:secret", API_SECRET)
        async with running_engine(linked(settings, urls)) as trader:
            exchange.restrictions = key_restrictions(withdrawals=True)
            with pytest.raises(ValueError, match="this API key can WITHDRAW funds"):
                await trader.enable_live(LIVE_PHRASE)
            assert trader.snapshot().mode == "PAPER"
            exchange.restrictions = key_restrictions()
            await trader.enable_live(LIVE_PHRASE)
            assert trader.snapshot().mode == "LIVE"
            assert isinstance(trader.engine.broker, BinanceSpotBroker)
            assert trader.core.parts.portfolio.balance("BTC") == 1
            with pytest.raises(ValueError, match="already trading on binance-spot"):
                await trader.enable_live(LIVE_PHRASE)


async def test_kill_9_with_an_order_open_on_the_exchange_then_restart_reconciles_it(
    exchange: BinanceExchangeDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real process is killed with SIGKILL while its entry rests on the exchange; the
    order fills while nothing runs; the restarted trader finds it, books the fill once
    and sends nothing again."""
    monkeypatch.setenv("BINANCE_TESTNET_API_KEY", API_KEY)
    monkeypatch.setenv("BINANCE_TESTNET_API_SECRET", API_SECRET)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    exchange.set_price("BTCUSDT", "50000")
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.binance_child",
        str(exchange.port),
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    assert child.stdout is not None
    try:
        async with asyncio.timeout(30):
            cid = (await child.stdout.readline()).decode().strip()
        assert cid and exchange.order_requests[0]["newClientOrderId"] == cid
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    await exchange.fill(cid, "0.002", "49000")  # while no trader runs

    settings = make_settings(tmp_path, binance_env="testnet", MAX_SLIPPAGE_BPS="10000")
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(settings, loopback_endpoints(exchange.port))) as again:
            assert again.core.parts.orders.get(cid) is None  # known final: filled
            [order] = [o for o in await again.parts.journal.orders() if o.client_order_id == cid]
            assert order.status is OrderStatus.FILLED
            fills = await again.parts.journal.fills()
            assert [(f.client_order_id, f.quantity) for f in fills] == [(cid, Decimal("0.002"))]
            assert again.core.parts.portfolio.balance("BTC") == Decimal("1.001998")
            assert only_stopped(again)
            assert await again.parts.journal.integrity_check() == []
    assert len(exchange.order_requests) == 1  # never sent twice
