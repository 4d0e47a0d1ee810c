"""Moving from the simulated market to Binance once Binance answers again (testnet, spot):
a failed move changes nothing and is tried again, the exchange account replaces the paper
one in one step with its own day start, and any failure to connect keeps the retry
going."""

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import API_KEY, API_SECRET, BinanceExchangeDouble, HttpFault
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration.conftest_binance import exchange_fixture, quote_btc  # noqa: F401
from tests.trader_support import START, entry_groups, make_settings, only_stopped, running_engine
from tui_trader.binance.client import loopback_endpoints
from tui_trader.binance.spot_broker import BinanceSpotBroker
from tui_trader.binance.venue_parts import Timing
from tui_trader.brokers.paper import PaperBroker
from tui_trader.config import Settings
from tui_trader.resilience.retry import Backoff
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.trader import Trader

FAST = Timing(
    request_timeout_s=1.0,
    ws_timeout_s=1.0,
    socket_poll_s=0.1,
    backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
    retry=Backoff(base_s=0.05, max_s=0.1, jitter=0.5),
)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def kinds(trader: Trader) -> list[str]:
    return [event.kind for event in trader.history.safety]


@pytest.fixture
def testnet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("BINANCE_TESTNET_API_KEY", API_KEY)
    monkeypatch.setenv("BINANCE_TESTNET_API_SECRET", API_SECRET)
    return make_settings(
        tmp_path, binance_env="testnet", MAX_SLIPPAGE_BPS="10000", paper_quote_balance="500"
    )


def linked(settings: Settings, exchange: BinanceExchangeDouble) -> Trader:
    setup = ExchangeSetup(loopback_endpoints(exchange.port), FAST)
    return build_trader(settings, start=START, binance=setup, **entry_groups())


async def test_a_failed_switch_changes_nothing_and_the_next_attempt_moves_the_whole_account(
    exchange: BinanceExchangeDouble, testnet: Settings
) -> None:
    exchange.faults.http += [
        HttpFault("/api/v3/exchangeInfo", "GET", status=503),  # at open: unreachable
        HttpFault("/api/v3/account", "GET", status=503),  # reading the account: fails once
    ]
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(testnet, exchange)) as t:
            paper = t.core.parts.portfolio
            assert isinstance(t.engine.broker, PaperBroker) and paper.cash == 500
            t.update_account(START)  # a first simulated candle: the paper day starts at 500
            tasks = dict(t.edge_tasks())
            running = [asyncio.create_task(tasks[name]()) for name in ("feed", "exchange-retry")]
            await until(lambda: "exchange_switch_failed" in kinds(t))
            [failed] = [e for e in t.history.safety if e.kind == "exchange_switch_failed"]
            assert "still on the SIMULATED market" in failed.message
            assert t.core.parts.portfolio is paper and t.engine.broker is not None
            assert isinstance(t.engine.broker, PaperBroker)
            assert only_stopped(t)  # blocked only while the account was read

            # Switched, and reconciled (entries are blocked until it is done).
            link = t.exchange
            await until(lambda: link.reconciler is not None and link.reconciler.last is not None)
            assert isinstance(t.engine.broker, BinanceSpotBroker)
            assert t.snapshot().mode == "TESTNET" and t.parts.feed.name == "binance-testnet"
            portfolio = t.core.parts.portfolio
            assert (portfolio.balance("USDT"), portfolio.balance("BTC")) == (10000, 1)
            assert t.exchange.retry is None and only_stopped(t)
            # This account's day starts now, at its own equity (BTC unpriced yet).
            assert t.core.account.day_start == 10000 and t.core.account.peak == 10000
            assert t.snapshot().account.day_pnl == 0
            assert not t.feed_finished.is_set()  # the feed loop follows Binance
            await quote_btc(exchange, t)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)


async def test_any_failure_while_connecting_keeps_the_retry_going(
    exchange: BinanceExchangeDouble, testnet: Settings
) -> None:
    exchange.faults.http += [
        HttpFault("/api/v3/exchangeInfo", "GET", status=503),  # at open
        # The next attempt: the public client's ping passes, the broker's client's ping
        # gets an API error python-binance raises as is.
        HttpFault("/api/v3/ping", "GET", status=400, code=-1000, msg="garbage", skip=1),
    ]
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(testnet, exchange)) as t:
            assert t.exchange.retry is not None
            retry = t.exchange.retry
            task = asyncio.create_task(retry.run())
            await until(lambda: t.exchange.retry is None, seconds=10)
            assert retry.attempts == 1  # failed once on the client error, went on
            assert "Binance unreachable: " in retry.last_error and "-1000" in retry.last_error
            await asyncio.wait_for(task, 5)  # finished, not failed
            assert isinstance(t.engine.broker, BinanceSpotBroker)
