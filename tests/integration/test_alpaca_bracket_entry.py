"""An entry sent as a bracket: with the risk manager's stop-loss and take-profit given,
a whole-share buy goes with both exits held by Alpaca from its fill on; the legs are one
BRACKET guard to the trader (found again after a restart, nothing doubled), a stop that
fires is booked under the guard's leg id, and the keeper can cancel them to move the
protection. A fractional entry goes plain (Alpaca holds no fractional bracket)."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.alpaca_orders_support import ASSETS, KEYS, Run, an_order
from tests.doubles.alpaca_trading import AlpacaTradingDouble, alpaca_trading
from tui_trader.alpaca.bracket_entry import bracket_guard_id, entry_of
from tui_trader.alpaca.broker import AlpacaBroker
from tui_trader.alpaca.trade_stream import TradeUpdateStream
from tui_trader.alpaca.trading_api import AlpacaTrading
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.guards import GuardKind, GuardStatus, is_guard_id
from tui_trader.resilience.retry import Backoff


def exits(symbol: str, price: Decimal) -> tuple[Decimal, Decimal]:
    """Stop-loss 2 %, take-profit 4 % (the risk manager's defaults)."""
    return price * Decimal("0.98"), price * Decimal("1.04")


async def until(check: Callable[[], bool]) -> None:
    for _ in range(150):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not in time")


async def bracket_run(double: AlpacaTradingDouble, url: str, stream: bool = False) -> Run:
    api = AlpacaTrading(KEYS, url, timeout_s=1.0, pause_s=0.01)
    updates = None
    if stream:
        updates = TradeUpdateStream(
            KEYS,
            url.replace("http://", "ws://") + "/stream",
            clock=SystemClock(),
            backoff=Backoff(base_s=0.05, max_s=0.2, jitter=0),
        )
    broker = AlpacaBroker(
        api,
        ASSETS,
        clock=SystemClock(),
        is_open=lambda now: True,
        last_price=lambda s: Decimal("190.00"),
        stream=updates,
        poll_s=30,
        entry_exits=exits,
    )
    run = Run(double, broker)
    run.stream = updates
    await broker.start()
    return run


def test_a_bracket_guard_id_names_its_entry_and_no_placed_guard() -> None:
    entry = an_order("e", Side.BUY, OrderType.MARKET, "1").client_order_id
    guard_id = bracket_guard_id(entry)
    assert is_guard_id(guard_id) and entry_of(guard_id) == entry
    assert entry_of("tt-g-" + "b" * 24) is None  # a placed guard's id: hex only


async def test_an_entry_goes_as_a_bracket_and_its_legs_are_one_guard() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_trading(double) as url:
        run = await bracket_run(double, url)
        try:
            order = an_order("b-entry", Side.BUY, OrderType.MARKET, "5")
            placed = await run.broker.submit(order)
            body = double.posted()[0]
            assert body["order_class"] == "bracket" and body["time_in_force"] == "gtc"
            assert body["stop_loss"] == {"stop_price": "186.2"}  # 190 x 0.98
            assert body["take_profit"] == {"limit_price": "197.6"}  # 190 x 1.04
            assert placed.status is OrderStatus.FILLED and run.filled(order.client_order_id) == 5
            (guard,) = run.guards
            assert (guard.client_id, guard.kind, guard.status, guard.quantity) == (
                bracket_guard_id(order.client_order_id),
                GuardKind.BRACKET,
                GuardStatus.OPEN,
                Decimal(5),
            )
            assert (guard.trigger, guard.take_profit) == (Decimal("186.2"), Decimal("197.6"))
            assert await run.broker.open_orders() == []  # the filled entry is not open
            fractional = await run.broker.submit(
                an_order("b-frac", Side.BUY, OrderType.MARKET, "0.5")
            )
            assert fractional.status is OrderStatus.FILLED
            assert "order_class" not in double.posted()[-1]
        finally:
            await run.broker.close()
        restarted = await bracket_run(double, url)
        try:
            (found,) = await restarted.broker.open_guards()
            assert found == guard
            cancelled = await restarted.broker.cancel_guard(found)  # the keeper moves it
            assert cancelled is not None and cancelled.status is GuardStatus.CANCELED
            assert double.account.available("AAPL") == Decimal("5.5")
            assert await restarted.broker.open_guards() == []
            assert await restarted.broker.cancel_guard(found) is None
        finally:
            await restarted.broker.close()


async def test_a_bracket_stop_fires_live_or_while_the_trader_is_down() -> None:
    double = AlpacaTradingDouble()
    since = datetime.now(UTC) - timedelta(seconds=1)
    async with alpaca_trading(double) as url:
        run = await bracket_run(double, url, stream=True)
        try:
            await until(lambda: run.stream is not None and run.stream.up and bool(double.sockets))
            order = an_order("b-live", Side.BUY, OrderType.MARKET, "5")
            await run.broker.submit(order)
            double.account.set_price("AAPL", Decimal("186"))
            await until(lambda: run.guards[-1].status is GuardStatus.DONE)
            guard_id = bracket_guard_id(order.client_order_id)
            (fill,) = [f for f in run.fills if f.client_order_id == guard_id + "-s"]
            assert (fill.side, fill.quantity, fill.price) == (Side.SELL, Decimal(5), Decimal(186))
            await asyncio.sleep(0.1)  # the take-profit's cancel says nothing more
            assert [g.status for g in run.guards] == [GuardStatus.OPEN, GuardStatus.DONE]
            double.account.set_price("AAPL", Decimal("190"))
            second = an_order("b-down", Side.BUY, OrderType.MARKET, "2")
            await run.broker.submit(second)
        finally:
            await run.broker.close()
        double.account.set_price("AAPL", Decimal("198"))  # its take-profit, while down
        restarted = await bracket_run(double, url)
        try:
            fills = await restarted.broker.recover_fired_guards(
                since, {(fill.symbol, fill.trade_id)}
            )
            down_id = bracket_guard_id(second.client_order_id)
            assert [(f.client_order_id, f.quantity, f.price) for f in fills] == [
                (down_id + "-t", Decimal(2), Decimal("198"))
            ]
            assert await restarted.broker.open_guards() == []
        finally:
            await restarted.broker.close()
