"""Issue #14 item 1 on Binance: the strategies warm up at open on Binance's recent
closed klines over REST (not on the demo's simulated past), so the first signal can come
with the first live candle; without history from Binance they start cold, and say why."""

import time
from pathlib import Path

from tests.doubles.binance_exchange import BinanceExchangeDouble, HttpFault
from tests.integration.conftest_binance import exchange_fixture  # noqa: F401
from tests.integration.test_trader_binance import kinds, linked
from tests.trader_support import make_settings, running_engine
from tui_trader.binance.client import loopback_endpoints
from tui_trader.runtime.warmup import history_needed
from tui_trader.strategies.base import warmup_progress

MINUTE = 60_000


async def closed_minutes(exchange: BinanceExchangeDouble, symbol: str, count: int) -> None:
    now = int(time.time() * 1000) // MINUTE * MINUTE
    for i in range(count, 0, -1):
        price = str(100 + i % 7)
        ohlc = (price, price, price, price)
        await exchange.streams.push_kline(symbol, now - i * MINUTE, ohlc, "1", True, "1m")


async def test_strategies_are_warm_at_open_from_binance_klines(
    exchange: BinanceExchangeDouble, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, SYMBOLS="BTCUSDT,ETHUSDT")
    for symbol in settings.symbols:
        await closed_minutes(exchange, symbol, 200)
    async with running_engine(linked(settings, loopback_endpoints(exchange.port))) as trader:
        needed = history_needed(trader.core)
        assert needed > 0
        for symbol in settings.symbols:
            signal = trader.core.last_signals[symbol]  # from Binance's klines
            assert warmup_progress(signal) is None, signal.reason  # warm: no "WARMUP n/m"
            assert signal.price == signal.price.to_integral() and 100 <= signal.price <= 106
        assert ("GET", "/api/v3/klines") in exchange.requests


async def test_no_history_from_binance_means_a_cold_start_said_plainly(
    exchange: BinanceExchangeDouble, tmp_path: Path
) -> None:
    exchange.faults.http.append(HttpFault("/api/v3/klines", "GET", status=503))
    settings = make_settings(tmp_path, SYMBOLS="BTCUSDT")
    async with running_engine(linked(settings, loopback_endpoints(exchange.port))) as trader:
        assert trader.parts.feed.name == "binance"  # trading goes on without history
        assert "BTCUSDT" not in trader.core.last_signals  # cold: the simulated past is gone
        assert "feed_error" in kinds(trader)
