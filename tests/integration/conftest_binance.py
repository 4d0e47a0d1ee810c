"""Fixtures for the Binance integration tests: the exchange double on 127.0.0.1 and a
client spec pointing at it. Test modules import `exchange_fixture` and `spec_fixture`
from here explicitly; pytest knows them as `exchange` and `spec`."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.binance_exchange import API_KEY, API_SECRET, BinanceExchangeDouble
from tests.trader_support import make_settings
from tui_trader.binance.client import ClientSpec, loopback_endpoints
from tui_trader.config import Settings
from tui_trader.runtime.trader import Trader


@pytest.fixture(name="exchange")
async def exchange_fixture() -> AsyncIterator[BinanceExchangeDouble]:
    double = BinanceExchangeDouble()
    await double.start()
    try:
        yield double
    finally:
        await double.stop()


@pytest.fixture(name="spec")
def spec_fixture(exchange: BinanceExchangeDouble) -> ClientSpec:
    return ClientSpec(loopback_endpoints(exchange.port), API_KEY, API_SECRET, request_timeout_s=2.0)


# A USD-M testnet trader on the double: 5x leverage, market orders allowed and no slippage
# cap (the double's prices are arbitrary).
FUTURES_TESTNET: dict[str, Any] = {
    "binance_env": "testnet",
    "market_type": "futures",
    "futures_enabled": True,
    "max_leverage": 5,
    "MAX_SLIPPAGE_BPS": "10000",
    "ALLOW_MARKET_ORDERS": "true",
}


def futures_testnet_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> Settings:
    """A USD-M testnet trader with the double's keys in the environment, 5x leverage,
    market orders allowed and no slippage cap (the double's prices are arbitrary)."""
    monkeypatch.setenv("BINANCE_TESTNET_API_KEY", API_KEY)
    monkeypatch.setenv("BINANCE_TESTNET_API_SECRET", API_SECRET)
    return make_settings(tmp_path, **FUTURES_TESTNET, **overrides)


async def quote_btc(exchange: BinanceExchangeDouble, trader: Trader) -> None:
    """Once the trader's feed is connected: a BTCUSDT book of 100.10 / 100.30, and wait
    until the trader prices BTCUSDT at its mid (100.2)."""
    await exchange.wait_stream_connects(1)
    book = exchange.streams.book_frame("BTCUSDT", Decimal("100.10"), Decimal("100.30"))
    await exchange.streams.publish("btcusdt@bookTicker", book)
    async with asyncio.timeout(3):
        while trader.core.parts.market.price("BTCUSDT") != Decimal("100.2"):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
