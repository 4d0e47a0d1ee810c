"""Exchange-side stops on USD-M, against the exchange double's Algo Service: placed right
after the entry fills, moved with the trailing stop (never loosened), cancelled when the
position closes, fired by the exchange while the trader is down, and adopted (not
doubled) by a restarted trader."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.integration.conftest_binance import (  # noqa: F401
    exchange_fixture,
    futures_testnet_settings,
)
from tests.integration.test_trader_futures import FAST, market_buy, until
from tests.trader_support import START, entry_groups, only_stopped, running_engine
from tui_trader.binance.client import loopback_endpoints
from tui_trader.config import Settings
from tui_trader.domain.enums import Side
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.guards import GuardKind
from tui_trader.domain.market import Tick
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.guard_keeper import GuardTiming
from tui_trader.runtime.trader import Trader

QUICK = GuardTiming(check_s=0.05, confirm_s=1.0, unprotected_s=0.3, refused_pause_s=0.3)


def guarded(settings: Settings, exchange: BinanceExchangeDouble) -> Trader:
    setup = ExchangeSetup(loopback_endpoints(exchange.port), FAST, guard_timing=QUICK)
    return build_trader(settings, start=START, binance=setup, **entry_groups())


@contextlib.asynccontextmanager
async def keeping_stops(trader: Trader) -> AsyncIterator[Trader]:
    """The trader with its exchange-stops task running (running_engine leaves it out)."""
    task = asyncio.ensure_future(trader.exchange.guards.run())
    try:
        yield trader
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def algo_open(exchange: BinanceExchangeDouble) -> list[tuple[str, str, str, str]]:
    """(type, side, quantity, trigger) of every conditional order the exchange holds,
    numbers as plain text (0.010 → "0.01")."""
    rows = [o.json() for o in exchange.futures.algo.open_orders()]
    return sorted(
        (r["orderType"], r["side"], plain(r["quantity"]), plain(r["triggerPrice"])) for r in rows
    )


def plain(number: str) -> str:
    return f"{Decimal(number).normalize():f}"


def mark_tick(trader: Trader, price: str) -> None:
    """A mark price reaches the trader, as the futures feed delivers it."""
    ts = START + timedelta(minutes=1)
    value = Decimal(price)
    trader.on_market_event(Tick(symbol="BTCUSDT", ts=ts, price=value, bid=value, ask=value))


def stop_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **overrides: str) -> Settings:
    """USD-M testnet, stop-loss 2%, take-profit 4%, trailing stop 1%."""
    return futures_testnet_settings(
        tmp_path,
        monkeypatch,
        STOP_LOSS_PCT="2",
        TAKE_PROFIT_PCT="4",
        TRAILING_STOP_PCT="1",
        **overrides,
    )


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return stop_settings(tmp_path, monkeypatch)


async def open_long(trader: Trader, exchange: BinanceExchangeDouble) -> None:
    trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
    await trader.start()
    assert await trader.engine.process(market_buy("0.01")) is not None
    await until(lambda: trader.core.parts.portfolio.held("BTCUSDT") == Decimal("0.01"))


async def open_guarded_long(trader: Trader, exchange: BinanceExchangeDouble) -> None:
    """Long 0.01 BTCUSDT at 50000 with its stop and take-profit on the exchange."""
    await open_long(trader, exchange)
    await until(lambda: len(algo_open(exchange)) == 2)


async def trail_up(trader: Trader, exchange: BinanceExchangeDouble) -> None:
    """The mark rises to 51000: the stop moves to the trailing level (1% under: 50490)
    and the old one is cancelled."""
    exchange.futures.set_mark("BTCUSDT", "51000")
    mark_tick(trader, "51000")
    await until(lambda: ("STOP_MARKET", "SELL", "0.01", "50490") in algo_open(exchange))
    await until(lambda: len(algo_open(exchange)) == 2)


async def test_an_entry_gets_a_stop_and_take_profit_on_the_exchange_a_close_removes_them(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    async with running_engine(guarded(settings, exchange)) as trader, keeping_stops(trader):
        await open_guarded_long(trader, exchange)
        assert algo_open(exchange) == [
            ("STOP_MARKET", "SELL", "0.01", "49000"),  # 2% under the 50000 entry
            ("TAKE_PROFIT_MARKET", "SELL", "0.01", "52000"),  # 4% over it
        ]
        [request] = [r for r in exchange.futures.algo.orders.values() if r.type == "STOP_MARKET"]
        assert request.reduce_only and request.working_type == "MARK_PRICE"
        assert request.cid.startswith("tt-g-")
        keeper = trader.exchange.guards.keeper
        assert keeper is not None
        await until(lambda: keeper.trigger("BTCUSDT", GuardKind.STOP) == 49000)
        [row] = trader.snapshot().positions
        assert (row.exchange_stop, row.exchange_guarded) == (Decimal(49000), True)
        await trader.close_position("BTCUSDT")
        await until(lambda: not trader.core.parts.portfolio.held("BTCUSDT"))
        await until(lambda: algo_open(exchange) == [])
        assert exchange.futures.engine.position("BTCUSDT")[0] == 0
        await trader.parts.journal.flush()


async def test_the_stop_follows_the_trailing_stop_up_and_never_down(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    async with running_engine(guarded(settings, exchange)) as trader, keeping_stops(trader):
        await open_guarded_long(trader, exchange)
        await trail_up(trader, exchange)  # 50490 is tighter than the 49000 stop-loss
        placed = exchange.futures.algo.placed
        mark_tick(trader, "51010")  # moves the trailing stop by 2 bps: under the 10 bps bar
        mark_tick(trader, "50600")  # falling back never lowers it
        await asyncio.sleep(0.3)
        assert exchange.futures.algo.placed == placed
        assert ("STOP_MARKET", "SELL", "0.01", "50490") in algo_open(exchange)


async def test_the_exchange_stop_fires_while_the_trader_is_down_and_a_restart_books_it(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    async with running_engine(guarded(settings, exchange)) as trader, keeping_stops(trader):
        await open_guarded_long(trader, exchange)
    # The trader is gone; the market falls through the stop; the exchange closes the long.
    await exchange.futures.move_mark("BTCUSDT", "48900")
    assert exchange.futures.engine.position("BTCUSDT")[0] == 0
    [stop] = [o for o in exchange.futures.algo.orders.values() if o.type == "STOP_MARKET"]
    assert stop.status == "FINISHED"
    async with running_engine(guarded(settings, exchange)) as restarted, keeping_stops(restarted):
        # The fill the exchange made while the trader was down is booked before the books
        # are compared: flat, the loss in the wallet, nothing held for a disagreement.
        assert not restarted.core.parts.portfolio.held("BTCUSDT")
        assert restarted.core.parts.portfolio.cash == exchange.futures.engine.wallet
        assert only_stopped(restarted)
        told = [e.message for e in restarted.history.safety if e.kind is SafetyKind.EXCHANGE_STOP]
        assert any("closed BTCUSDT while the trader was down" in m for m in told)
        await restarted.parts.journal.flush()
        fills = await restarted.parts.journal.fills()
        assert [
            (f.client_order_id, f.side, f.price) for f in fills if f.client_order_id == stop.cid
        ] == [(stop.cid, Side.SELL, Decimal(48900))]
        # The take-profit of a position that no longer exists is cancelled.
        await until(lambda: algo_open(exchange) == [])
    # A second restart books nothing twice.
    async with running_engine(guarded(settings, exchange)) as third:
        await third.parts.journal.flush()
        assert len(await third.parts.journal.fills()) == len(fills)
        assert third.core.parts.portfolio.cash == exchange.futures.engine.wallet


async def test_a_restart_adopts_the_stops_the_exchange_holds_instead_of_placing_more(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    async with running_engine(guarded(settings, exchange)) as trader, keeping_stops(trader):
        await open_guarded_long(trader, exchange)
        await trail_up(trader, exchange)
    placed = exchange.futures.algo.placed
    async with running_engine(guarded(settings, exchange)) as restarted, keeping_stops(restarted):
        keeper = restarted.exchange.guards.keeper
        assert keeper is not None
        await until(lambda: keeper.loaded)
        await asyncio.sleep(0.3)  # several checks: the trailing mark was lost in the restart
        assert exchange.futures.algo.placed == placed  # adopted, not placed again
        assert ("STOP_MARKET", "SELL", "0.01", "50490") in algo_open(exchange)  # not loosened
        assert keeper.trigger("BTCUSDT", GuardKind.STOP) == Decimal("50490")
