"""AlpacaBroker when Alpaca misbehaves: an order whose reply is lost or late is queried
by client_order_id and never sent again; a 5xx before anything is done leaves nothing
placed; a 429 makes the client wait for Alpaca's reset instead of hammering; an
unreadable reply is a clear error and the order is still found; a read that times out
raises BrokerError, never hangs the loop."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.alpaca_orders_support import KEYS, alpaca_broker, an_order
from tests.doubles.alpaca_trading import AlpacaTradingDouble, alpaca_trading
from tui_trader.alpaca.trading_api import AlpacaTrading
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.execution.broker import BrokerError

BUY, MARKET, LIMIT = Side.BUY, OrderType.MARKET, OrderType.LIMIT
PLACE = "POST /v2/orders"


@pytest.mark.parametrize("fault", ["slow", "lost", "garbage", "malformed"])
async def test_a_placed_order_whose_reply_is_lost_is_queried_not_sent_again(fault: str) -> None:
    double = AlpacaTradingDouble(slow_s=1.5)
    double.fault(PLACE, fault)
    async with alpaca_broker(double, timeout_s=0.3) as run:
        order = an_order(f"lost-{fault}", BUY, MARKET, "3")
        result = await run.broker.submit(order)
        assert result.status is OrderStatus.FILLED and result.filled_quantity == 3
        assert double.account.placed == [order.client_order_id]
        queries = [r for r in double.requests if r[1] == "/v2/orders:by_client_order_id"]
        assert queries and queries[0][2] == {"client_order_id": order.client_order_id}
        again = await run.broker.submit(order)  # the engine trying again
        assert again.status is OrderStatus.FILLED and double.account.placed == [
            order.client_order_id
        ]
        assert len(double.posted()) == 1
        assert run.filled(order.client_order_id) == 3


async def test_an_order_that_never_arrived_is_rejected_as_not_placed() -> None:
    double = AlpacaTradingDouble(slow_s=1.0)
    double.fault(PLACE, "hang")
    async with alpaca_broker(double, timeout_s=0.3) as run:
        order = an_order("hung", BUY, MARKET, "1")
        result = await run.broker.submit(order)
        assert result.status is OrderStatus.REJECTED
        assert "not placed" in result.reason and "no answer" in result.reason
        assert double.account.placed == []


async def test_a_5xx_is_never_retried_for_an_order_and_nothing_is_placed() -> None:
    double = AlpacaTradingDouble()
    double.fault(PLACE, "500")
    async with alpaca_broker(double) as run:
        result = await run.broker.submit(an_order("five", BUY, MARKET, "1"))
        assert result.status is OrderStatus.REJECTED and "HTTP 500" in result.reason
        assert double.account.placed == [] and double.faults[PLACE] == []


async def test_a_repeated_client_order_id_finds_the_order_alpaca_has() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double) as before:
        order = an_order("dup", BUY, LIMIT, "1", "150")
        await before.broker.submit(order)
    async with alpaca_broker(double) as after:  # forgot it was sent (no journal)
        again = await after.broker.submit(order)
        assert again.status is OrderStatus.NEW and again.exchange_order_id
        assert double.account.placed == [order.client_order_id]


async def test_a_read_that_meets_a_5xx_or_a_429_is_retried_after_a_pause() -> None:
    double = AlpacaTradingDouble(reset_in_s=0.4)
    async with alpaca_broker(double) as run:
        run.broker._api._pause_s = 0.05
        double.fault("GET /v2/account", "500", "429")
        started = time.monotonic()
        balances = await run.broker.balances()
        assert balances["USD"].total == 100_000
        assert time.monotonic() - started >= 0.3  # waited for Alpaca's reset (whole s)
        assert double.faults["GET /v2/account"] == []


async def test_no_remaining_requests_makes_the_next_call_wait_for_the_reset() -> None:
    double = AlpacaTradingDouble(reset_in_s=0.2)
    async with alpaca_broker(double) as run:
        double.remaining = 0
        unknown = an_order("x", BUY, MARKET, "1").client_order_id
        assert await run.broker.query(unknown) is None  # told: 0 left until the reset
        double.remaining = 199
        started = time.monotonic()
        assert await run.broker.query(unknown) is None
        assert time.monotonic() - started >= 0.15


async def test_a_read_that_hangs_raises_broker_error_without_blocking_the_loop() -> None:
    double = AlpacaTradingDouble(slow_s=1.0)
    async with alpaca_broker(double, timeout_s=0.3) as run:
        double.fault("GET /v2/orders", "hang", "hang", "hang")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beat = asyncio.create_task(ticker())
        with pytest.raises(BrokerError, match="no answer"):
            await run.broker.open_orders()
        beat.cancel()
        assert ticks > 20  # the loop kept running while the SDK waited in its thread


async def test_an_unreadable_open_orders_reply_is_a_clear_error() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double) as run:
        double.fault("GET /v2/orders", "garbage")
        with pytest.raises(BrokerError, match="not JSON"):
            await run.broker.open_orders()
        assert await run.broker.open_orders() == []  # the next reply is fine again
        assert run.fills == [] and Decimal(0) == run.filled("none")


async def test_the_order_history_is_read_page_by_page() -> None:
    double = AlpacaTradingDouble()
    for number in range(5):
        double.account.place(
            {
                "symbol": "AAPL",
                "side": "buy",
                "type": "limit",
                "qty": "1",
                "limit_price": "100",
                "client_order_id": f"hand-{number}",
            }
        )
        await asyncio.sleep(0.002)  # distinct submission times
    async with alpaca_trading(double) as url:
        api = AlpacaTrading(KEYS, url, page=2)
        await api.start()
        try:
            found = await api.orders_since(datetime.now(UTC) - timedelta(hours=1))
        finally:
            await api.close()
    assert [o.client_order_id for o in found] == [f"hand-{n}" for n in range(5)]
    assert len([r for r in double.requests if r[1] == "/v2/orders"]) == 3
