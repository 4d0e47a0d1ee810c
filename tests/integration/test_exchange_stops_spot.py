"""Exchange stops on spot, against the exchange double: an entry gets one OCO (stop-limit
below, limit-maker take-profit above; the base asset is locked once), a sell cancels it
first (the trader's own close needs the coins), and a stop the exchange fires while the
trader is down is booked by the restart. A symbol without OCO gets a lone stop."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import API_KEY, API_SECRET, BinanceExchangeDouble
from tests.integration.conftest_binance import exchange_fixture  # noqa: F401
from tests.integration.test_exchange_stops import keeping_stops, mark_tick
from tests.integration.test_trader_futures import FAST, market_buy, until
from tests.trader_support import START, entry_groups, make_settings, only_stopped, running_engine
from tui_trader.binance.client import loopback_endpoints
from tui_trader.config import Settings
from tui_trader.domain.events import SafetyKind
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.guard_keeper import GuardTiming
from tui_trader.runtime.trader import Trader

QUICK = GuardTiming(check_s=0.05, confirm_s=1.0, unprotected_s=0.3, refused_pause_s=0.3)


def spot(settings: Settings, exchange: BinanceExchangeDouble) -> Trader:
    setup = ExchangeSetup(loopback_endpoints(exchange.port), FAST, guard_timing=QUICK)
    return build_trader(settings, start=START, binance=setup, **entry_groups())


def legs(exchange: BinanceExchangeDouble) -> list[tuple[str, str, str, str]]:
    """(type, quantity, stop, price) of every open protective order on the exchange."""
    kinds = ("STOP_LOSS_LIMIT", "LIMIT_MAKER")
    return sorted(
        (o.type, plain(o.remaining), plain(o.stop), plain(o.price))
        for o in exchange.engine.open_orders("BTCUSDT")
        if o.type in kinds
    )


def plain(number: Decimal) -> str:
    return f"{number.normalize():f}"


def spot_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Spot testnet (the double's keys in the environment), stop 2%, take-profit 4%."""
    monkeypatch.setenv("BINANCE_TESTNET_API_KEY", API_KEY)
    monkeypatch.setenv("BINANCE_TESTNET_API_SECRET", API_SECRET)
    return make_settings(
        tmp_path,
        binance_env="testnet",
        MAX_SLIPPAGE_BPS="10000",
        ALLOW_MARKET_ORDERS="true",
        STOP_LOSS_PCT="2",
        TAKE_PROFIT_PCT="4",
        TRAILING_STOP_PCT="0",
    )


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return spot_settings(tmp_path, monkeypatch)


@pytest.fixture
def cash_only(exchange: BinanceExchangeDouble) -> BinanceExchangeDouble:
    exchange.engine.free = {"USDT": Decimal(10000)}
    exchange.set_price("BTCUSDT", "50000")
    return exchange


@contextlib.asynccontextmanager
async def long_btc(settings: Settings, exchange: BinanceExchangeDouble) -> AsyncIterator[Trader]:
    """A spot trader that bought 0.01 BTC at 50000 (0.00999 after the fee in BTC), its
    exchange stops kept."""
    async with running_engine(spot(settings, exchange)) as trader, keeping_stops(trader):
        mark_tick(trader, "50000")
        await trader.start()
        assert await trader.engine.process(market_buy("0.01")) is not None
        await until(lambda: trader.core.parts.portfolio.held("BTCUSDT") > 0)
        yield trader


OCO = [
    ("LIMIT_MAKER", "0.00999", "0", "52000"),
    ("STOP_LOSS_LIMIT", "0.00999", "49000", "48510"),  # limit 1% under the stop
]


async def test_an_entry_gets_one_oco_and_a_close_cancels_it_before_selling(
    cash_only: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange = cash_only
    async with long_btc(settings, exchange) as trader:
        await until(lambda: legs(exchange) == OCO)
        assert exchange.engine.locked["BTC"] == Decimal("0.00999")  # locked once for both
        [row] = trader.snapshot().positions
        assert row.exchange_stop == Decimal(49000)
        await trader.close_position("BTCUSDT")
        await until(lambda: not trader.core.parts.portfolio.held("BTCUSDT"))
        assert legs(exchange) == []
        await asyncio.sleep(0.2)
        assert legs(exchange) == []  # nothing put back: no position left


async def test_the_oco_stop_fires_while_the_trader_is_down_and_the_restart_books_it(
    cash_only: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange = cash_only
    async with long_btc(settings, exchange) as trader:
        await until(lambda: legs(exchange) == OCO)
        await trader.stop()
    await exchange.move_price("BTCUSDT", "48900")  # through the stop, above its limit
    assert legs(exchange) == []  # the stop filled, the take-profit expired
    assert exchange.engine.free.get("BTC", Decimal(0)) == 0
    async with running_engine(spot(settings, exchange)) as restarted:
        assert not restarted.core.parts.portfolio.held("BTCUSDT")
        assert only_stopped(restarted)
        told = [e.message for e in restarted.history.safety if e.kind is SafetyKind.EXCHANGE_STOP]
        assert any("closed BTCUSDT while the trader was down" in m for m in told)


async def test_a_symbol_without_oco_gets_a_lone_stop(
    cash_only: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange = cash_only
    specs = exchange.engine.specs
    specs["BTCUSDT"] = replace(specs["BTCUSDT"], oco_allowed=False)
    async with long_btc(settings, exchange):
        await until(lambda: legs(exchange) == [OCO[1]])
        await asyncio.sleep(0.2)
        assert legs(exchange) == [OCO[1]]  # the take-profit stays the trader's own
