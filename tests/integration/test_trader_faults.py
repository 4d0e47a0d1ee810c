"""Faults around the order path, each found by review and reproduced here first:
kill switch that cannot persist, flatten of several positions, kill upgraded from another
process, a journal failure mid-order, stop racing a queued entry, shutdown with a queued
close, and a restart with an exit order working."""

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.trader_support import START, feed, make_settings, opened, running_engine, sim_events
from tui_trader.domain.enums import EngineState, IntentPurpose, OrderType, Severity, Side
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import OrderIntent
from tui_trader.journal.spill import spill_path
from tui_trader.journal.writer import WriterTuning
from tui_trader.runtime.build_trader import journal_path
from tui_trader.runtime.trader import Trader
from tui_trader.safety.kill_switch import KillSwitch


def buy(symbol: str, price: Decimal, intent_id: str, qty: str = "0.01") -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id,
        symbol=symbol,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal(qty),
        price=price.quantize(Decimal("0.01")),
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=price,
        reason="test",
    )


async def hold(trader: Trader, symbol: str) -> None:
    """Buy a little of `symbol` (marketable limit) and let it fill."""
    price = trader.core.parts.market.price(symbol)
    await trader.engine.process(buy(symbol, price * Decimal("1.01"), f"manual-{symbol}"))


async def holding_btc(trader: Trader) -> Iterator[Tick | Candle]:
    """Started, holding some BTCUSDT (filled); the simulated events to go on with."""
    events = sim_events(trader)
    await feed(trader, events, 10)
    await trader.start()
    await hold(trader, "BTCUSDT")
    await feed(trader, events, 20)
    return events


def tick(symbol: str, ts: datetime, price: Decimal, volume: str = "5") -> Tick:
    return Tick(symbol, ts, price, price - 1, price + 1, Decimal(volume))


async def test_kill_halts_even_when_the_kill_file_cannot_be_written(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 10)
        await trader.start()
        (tmp_path / "KILL_SWITCH.tmp").mkdir()  # stands in for a full or read-only disk
        await trader.kill()
        assert trader.kill_state is not None
        assert not trader.core.state.entries_allowed
        assert trader.parts.machine.state is EngineState.IDLE
        assert any("NOT persisted" in e.message for e in trader.history.safety)
        watcher = asyncio.create_task(trader.commands.watch_kill_switch())
        await asyncio.sleep(0.3)  # no file on disk must not count as "cleared"
        watcher.cancel()
        assert trader.kill_state is not None


async def test_kill_closes_every_position_not_just_the_first(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000")  # 1 order/s by default
    async with running_engine(opened(settings)) as trader:
        events = sim_events(trader)
        await feed(trader, events, 10)
        await trader.start()
        for symbol in ("BTCUSDT", "ETHUSDT"):
            await hold(trader, symbol)
            await feed(trader, events, 40)
        assert trader.core.parts.portfolio.held("ETHUSDT") > 0
        await trader.kill(close_positions=True)
        await feed(trader, events, 200)
        assert trader.core.parts.portfolio.positions == {}


async def test_kill_upgraded_to_close_positions_from_another_process(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000")
    async with running_engine(opened(settings)) as trader:
        events = await holding_btc(trader)
        watcher = asyncio.create_task(trader.commands.watch_kill_switch())
        other = KillSwitch(tmp_path)  # `tui-trader kill`, then `kill --close-positions`
        other.activate(datetime.now(UTC), "cli", "first")
        await asyncio.sleep(0.4)
        assert trader.core.parts.portfolio.held("BTCUSDT") > 0
        other.activate(datetime.now(UTC), "cli", "now flatten", close_positions=True)
        await asyncio.sleep(0.4)
        await trader.engine.drain()
        await feed(trader, events, 40)
        watcher.cancel()
        assert trader.core.parts.portfolio.held("BTCUSDT") == 0


async def test_a_locked_journal_does_not_hold_back_the_stop_loss(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000")
    trader = opened(settings)
    async with running_engine(trader):  # default tuning: 5 s busy timeout, 3 retries
        await holding_btc(trader)
        entry = trader.core.parts.portfolio.position("BTCUSDT").average_entry
        crash, ts = entry * Decimal("0.9"), trader.parts.market_clock.now()
        lock = sqlite3.connect(journal_path(settings), isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # another process holds the journal
        started = time.monotonic()
        for i in range(1, 4):
            trader.on_market_event(tick("BTCUSDT", ts + timedelta(seconds=i), crash - i))
            await trader.engine.drain()
        assert time.monotonic() - started < 1.5  # was ~22 s per blocked intent
        assert trader.core.parts.portfolio.held("BTCUSDT") == 0
        stop = next(o for o in trader.core.parts.orders.recent() if o.purpose.is_exit)
        assert spill_path(journal_path(settings)).exists()  # on disk before it was sent
        lock.execute("ROLLBACK")
        lock.close()
        await asyncio.wait_for(trader.parts.journal.flush(), 10)
        assert stop.client_order_id in await trader.parts.journal.known_client_order_ids()


async def test_stop_leaves_no_entry_working(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 10)
        await trader.start()
        price = trader.core.parts.market.price("BTCUSDT") * Decimal("0.999")
        trader.engine.submit(buy("BTCUSDT", price, "entry-x-BTCUSDT-1", "0.001"))  # queued
        await trader.stop()
        assert trader.parts.machine.state is EngineState.IDLE
        assert await trader.parts.broker.open_orders() == []


async def test_queued_close_is_sent_before_shutdown(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000")
    async with running_engine(opened(settings)) as trader:
        await holding_btc(trader)
        await trader.kill()
        await trader.close_position("BTCUSDT")  # queued; the operator quits at once
    # close() sent it (not dropped, no crash): the journal shows the MANUAL_CLOSE order.
    check = opened(settings)
    await check.parts.journal.open()
    orders = await check.parts.journal.orders()
    await check.parts.journal.close()
    assert any(o.purpose is IntentPurpose.MANUAL_CLOSE for o in orders)


async def test_restart_with_an_exit_working_sends_no_second_exit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000")
    async with running_engine(opened(settings)) as trader:
        await holding_btc(trader)
        await trader.stop()  # positions kept, protective exits armed
        entry = trader.core.parts.portfolio.position("BTCUSDT").average_entry
        crash, ts = (
            (entry * Decimal("0.9")).quantize(Decimal("0.01")),
            trader.parts.market_clock.now(),
        )
        for i in range(1, 3):  # thin market: the stop-loss fills only partly
            trader.on_market_event(tick("BTCUSDT", ts + timedelta(seconds=i), crash, "0.004"))
            await trader.engine.drain()
        assert [o.purpose for o in trader.core.parts.orders.open_orders()] == [
            IntentPurpose.STOP_LOSS
        ]
    async with running_engine(opened(settings)) as restarted:
        for i in range(3, 13):
            restarted.on_market_event(tick("BTCUSDT", ts + timedelta(seconds=i), crash, "0"))
            await restarted.engine.drain()
        refused = [e for e in restarted.history.safety if e.kind == "risk_rejected"]
        assert refused == []
        assert len(restarted.core.parts.orders.open_orders()) == 1


async def test_a_failing_journal_stops_entries_at_once_with_one_critical_event(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    trader = opened(settings)
    trader.parts.journal._tuning = WriterTuning(
        busy_timeout_ms=10, retry_delays=(0.01,), max_pause=0.05
    )
    async with running_engine(trader):
        await feed(trader, sim_events(trader), 10)
        await trader.start()
        lock = sqlite3.connect(journal_path(settings), isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        trader.parts.journal.record_event("general", "probe", {})
        for _ in range(100):  # several failed rounds
            await asyncio.sleep(0.02)
        failed = [e for e in trader.history.safety if e.kind == "journal_failed"]
        assert len(failed) == 1 and failed[0].severity is Severity.CRITICAL
        assert not trader.core.state.entries_allowed
        price = trader.core.parts.market.price("BTCUSDT")
        assert await trader.engine.process(buy("BTCUSDT", price, "entry-while-failing")) is None
        with pytest.raises(ValueError, match="journal cannot write"):
            await trader.start()
        lock.execute("ROLLBACK")
        lock.close()
        await asyncio.wait_for(trader.parts.journal.flush(), 5)
        assert any(e.kind == "journal_recovered" for e in trader.history.safety)
        assert trader.core.state.entries_allowed  # still RUNNING: entries reopen
