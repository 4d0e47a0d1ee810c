"""Fixtures for the Binance integration tests: the exchange double on 127.0.0.1 and a
client spec pointing at it. Test modules import `exchange_fixture` and `spec_fixture`
from here explicitly; pytest knows them as `exchange` and `spec`."""

from collections.abc import AsyncIterator

import pytest

from tests.doubles.binance_exchange import API_KEY, API_SECRET, BinanceExchangeDouble
from tui_trader.binance.client import ClientSpec, loopback_endpoints


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
