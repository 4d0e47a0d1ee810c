"""Building the trader's Binance parts against the exchange double: paper on public
data, testnet/demo brokers with keys, the live broker behind the key check, and the
errors that make the caller fall back to the simulated market."""

import asyncio
import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.binance_exchange import (
    API_KEY,
    API_SECRET,
    BinanceExchangeDouble,
    key_restrictions,
)
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration.conftest_binance import exchange_fixture  # noqa: F401
from tui_trader.binance.client import Endpoints, loopback_endpoints
from tui_trader.binance.futures_broker import BinanceFuturesBroker
from tui_trader.binance.key_check import KeyPermissionError
from tui_trader.binance.spot_broker import BinanceSpotBroker
from tui_trader.binance.venue_parts import (
    ExchangeParts,
    ExchangeUnavailable,
    Timing,
    build_exchange_parts,
    exchange_keys,
    start_live_broker,
)
from tui_trader.clock import SystemClock
from tui_trader.config import Settings, load_settings
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle
from tui_trader.resilience.retry import Backoff
from tui_trader.secrets import ExchangeKeys, LiveKeysError

FAST = Timing(
    request_timeout_s=1.0,
    ws_timeout_s=1.0,
    socket_poll_s=0.1,
    backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
)
KEYS = ExchangeKeys(API_KEY, API_SECRET, "env")


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    return load_settings(TUI_TRADER_DATA_DIR=str(tmp_path), **overrides)


@pytest.fixture
def urls(exchange: BinanceExchangeDouble) -> Endpoints:
    return loopback_endpoints(exchange.port)


@pytest.fixture
async def closing() -> AsyncIterator[list[ExchangeParts]]:
    made: list[ExchangeParts] = []
    yield made
    for parts in made:
        await parts.feed.close()
        if parts.broker is not None:
            await parts.broker.close()


async def build(
    config: Settings, urls: Endpoints, closing: list[ExchangeParts], **options: Any
) -> ExchangeParts:
    safety: list[SafetyEvent] = []
    parts = await build_exchange_parts(
        config, clock=SystemClock(), on_safety=safety.append, endpoints=urls, timing=FAST, **options
    )
    closing.append(parts)
    return parts


async def test_paper_on_public_data_needs_no_keys(
    exchange: BinanceExchangeDouble,
    urls: Endpoints,
    closing: list[ExchangeParts],
    tmp_path: Path,
) -> None:
    parts = await build(settings(tmp_path), urls, closing, keys=KEYS)  # mainnet: keys unused
    assert parts.broker is None and parts.label == "Binance mainnet market data, paper broker"
    assert sorted(parts.rules) == ["BTCUSDT", "ETHUSDT"]
    assert parts.rules["BTCUSDT"].tick_size == Decimal("0.01")
    assert parts.feed.name == "binance"
    signed = [path for _method, path in exchange.requests if "order" in path or "account" in path]
    assert signed == []

    first = asyncio.create_task(anext(parts.feed.events()))  # starts the feed
    await exchange.wait_stream_connects(1)
    await exchange.streams.push_kline("BTCUSDT", 60_000, ("1", "2", "1", "2"), "3", True, "1m")
    candle = await first
    assert isinstance(candle, Candle) and candle.close == Decimal(2)


async def test_unreachable_binance_raises_for_the_simulated_fallback(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ExchangeUnavailable, match=r"^Binance unreachable: ClientConnectorError"):
        await build_exchange_parts(
            settings(tmp_path),
            clock=SystemClock(),
            on_safety=lambda _e: None,
            endpoints=loopback_endpoints(port),
            timing=FAST,
        )


async def test_unknown_symbol_is_refused(
    exchange: BinanceExchangeDouble, urls: Endpoints, closing: list[ExchangeParts], tmp_path: Path
) -> None:
    with pytest.raises(ExchangeUnavailable, match="symbols unknown to Binance spot: SOLUSDT"):
        await build(settings(tmp_path, symbols="BTCUSDT,SOLUSDT"), urls, closing)


async def test_testnet_with_keys_starts_the_spot_broker(
    exchange: BinanceExchangeDouble, urls: Endpoints, closing: list[ExchangeParts], tmp_path: Path
) -> None:
    parts = await build(settings(tmp_path, binance_env="testnet"), urls, closing, keys=KEYS)
    assert isinstance(parts.broker, BinanceSpotBroker)
    assert parts.label == "Binance testnet market data, binance-spot"
    assert parts.feed.name == "binance-testnet"
    assert parts.rules["ETHUSDT"] == parts.broker.rules("ETHUSDT")
    await exchange.wait_subscriptions(1)
    assert ("GET", "/sapi/v1/account/apiRestrictions") not in exchange.requests


async def test_demo_futures_sets_the_configured_leverage(
    exchange: BinanceExchangeDouble, urls: Endpoints, closing: list[ExchangeParts], tmp_path: Path
) -> None:
    config = settings(
        tmp_path, binance_env="demo", market_type="futures", futures_enabled=True, max_leverage=2
    )
    parts = await build(config, urls, closing, keys=KEYS)
    assert isinstance(parts.broker, BinanceFuturesBroker)
    assert exchange.futures.engine.leverage == {"BTCUSDT": 2, "ETHUSDT": 2}
    assert parts.rules["BTCUSDT"].min_notional == Decimal(5)
    first = asyncio.create_task(anext(parts.feed.events()))  # the USD-M market streams
    await exchange.wait_stream_connects(1)
    assert "btcusdt@markPrice@1s" in exchange.streams.conns[0].streams
    first.cancel()


async def test_live_broker_only_with_keyring_keys_that_cannot_withdraw(
    exchange: BinanceExchangeDouble, urls: Endpoints, tmp_path: Path
) -> None:
    config = settings(tmp_path, trading_mode="live")
    options: dict[str, Any] = {
        "clock": SystemClock(),
        "on_safety": lambda _e: None,
        "endpoints": urls,
        "timing": FAST,
    }
    with pytest.raises(KeyPermissionError, match="live keys come from the keyring only"):
        await start_live_broker(config, KEYS, allow_withdraw_keys=False, **options)
    stored = ExchangeKeys(API_KEY, API_SECRET, "keyring")
    exchange.restrictions = key_restrictions(withdrawals=True)
    with pytest.raises(KeyPermissionError, match="can WITHDRAW funds"):
        await start_live_broker(config, stored, allow_withdraw_keys=False, **options)
    assert ("GET", "/api/v3/exchangeInfo") not in exchange.requests  # refused before start

    broker = await start_live_broker(config, stored, allow_withdraw_keys=True, **options)
    try:
        assert isinstance(broker, BinanceSpotBroker) and broker.rules("BTCUSDT") is not None
    finally:
        await broker.close()


async def test_keys_per_mode(tmp_path: Path) -> None:
    environ = {"BINANCE_TESTNET_API_KEY": "tk", "BINANCE_TESTNET_API_SECRET": "ts"}
    with keyring_installed(MemoryKeyring()) as backend:
        assert await exchange_keys(settings(tmp_path), live=False, environ=environ) is None
        testnet = await exchange_keys(
            settings(tmp_path, binance_env="testnet"), live=False, environ=environ
        )
        assert testnet == ExchangeKeys("tk", "ts", "env")
        live_env = {"BINANCE_API_KEY": "lk", "BINANCE_API_SECRET": "ls"}
        with pytest.raises(LiveKeysError, match="refuses BINANCE_API_KEY from the environment"):
            await exchange_keys(settings(tmp_path), live=True, environ=live_env)
        backend.set_password("tui-trader", "binance:key", "lk")
        backend.set_password("tui-trader", "binance:secret", "ls")
        live = await exchange_keys(settings(tmp_path), live=True, environ=live_env)
        assert live == ExchangeKeys("lk", "ls", "keyring")
