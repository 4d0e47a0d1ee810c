"""Fills from Alpaca's trade_updates stream (the double's websocket, binary JSON frames
as Alpaca sends them): each booked once whatever arrives twice or late, the stream
down → REST polling books them, a reconnection polls at once, a refused key falls back
to polling and says so, and frames that are no trade update are skipped and counted."""

import asyncio
from collections.abc import Callable
from decimal import Decimal

from tests.alpaca_orders_support import KEYS, Run, alpaca_broker, an_order
from tests.doubles.alpaca_book import BookOrder
from tests.doubles.alpaca_trading import AlpacaTradingDouble
from tui_trader.alpaca.trade_stream import TradeUpdateStream
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.orders import Order
from tui_trader.resilience.retry import Backoff
from tui_trader.secrets.env import ExchangeKeys

BUY, SELL, LIMIT = Side.BUY, Side.SELL, OrderType.LIMIT


async def until(check: Callable[[], bool], seconds: float = 3.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not in time")


async def streaming(run: Run) -> None:
    assert run.stream is not None
    await until(lambda: run.stream is not None and run.stream.up and bool(run.double.sockets))


async def resting(run: Run, intent: str, qty: str) -> tuple[Order, BookOrder]:
    """A limit buy at 185 placed and resting on the double: ours, and the double's."""
    order = an_order(intent, BUY, LIMIT, qty, "185")
    await run.broker.submit(order)
    book = run.double.account.by_client(order.client_order_id)
    assert book is not None
    return order, book


async def test_fills_come_from_the_stream_with_the_execution_s_own_price() -> None:
    async with alpaca_broker(stream=True, poll_s=30) as run:
        await streaming(run)
        order, book = await resting(run, "s-1", "10")
        run.double.account.trade(book, Decimal(4), Decimal("184.97"))
        await until(lambda: run.filled(order.client_order_id) == 4)
        (fill,) = run.fills
        assert fill.price == Decimal("184.97") and fill.trade_id.endswith(":4")
        run.double.account.set_price("AAPL", Decimal("184.50"))
        await until(lambda: run.filled(order.client_order_id) == 10)
        assert run.fills[-1].price == Decimal("184.5") and run.fills[-1].quantity == 6
        final = await run.broker.query(order.client_order_id)
        assert final is not None and final.status is OrderStatus.FILLED
        assert run.filled(order.client_order_id) == 10  # the poll books nothing again


async def test_duplicate_and_late_events_do_not_double_count() -> None:
    double = AlpacaTradingDouble()
    double.stream_faults.add("duplicate")
    async with alpaca_broker(double, stream=True, poll_s=30) as run:
        await streaming(run)
        order, book = await resting(run, "s-dup", "5")
        double.hold_events = True  # the next events come late
        double.account.trade(book, Decimal(2), Decimal("185"))
        double.account.trade(book, Decimal(3), Decimal("184.9"))
        await run.broker.poll_once()  # REST sees the total first: one fill of 5
        assert run.filled(order.client_order_id) == 5
        double.release()  # then the stream's late copies, each twice
        await asyncio.sleep(0.3)
        assert run.filled(order.client_order_id) == 5
        assert sum((f.notional for f in run.fills), Decimal(0)) == Decimal("924.7")


async def test_with_the_stream_down_polling_books_fills_and_a_reconnect_polls_at_once() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double, stream=True, poll_s=0.1) as run:
        await streaming(run)
        order, book = await resting(run, "s-down", "4")
        double.hold_events = True  # what happens while down is never pushed
        await double.drop_stream()
        double.account.trade(book, Decimal(1), Decimal("185"))
        await until(lambda: run.filled(order.client_order_id) == 1)  # polling, stream down
        assert any(e.kind is SafetyKind.FEED_RECONNECT for e in run.safety)
        double.held.clear()
        double.hold_events = False
        await streaming(run)
        assert run.stream is not None and run.stream.counts["connects"] >= 2


async def test_a_refused_stream_key_falls_back_to_polling_and_says_so() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double, poll_s=0.05) as run:
        safety: list[object] = []
        url = run.broker._api.url.replace("http://", "ws://") + "/stream"
        wrong = ExchangeKeys(KEYS.api_key, "FAKE-not-the-secret", "keyring")
        stream = TradeUpdateStream(
            wrong,
            url,
            clock=SystemClock(),
            on_safety=safety.append,
            backoff=Backoff(base_s=0.05, max_s=0.2, jitter=0),
        )
        stream.start(lambda update: None, run.broker.poll_once)
        await until(lambda: double.refused_streams >= 1 and bool(safety))
        await stream.close()
        assert "refused the trade updates stream" in str(safety[0])
        order, book = await resting(run, "s-poll", "1")
        double.account.trade(book, Decimal(1), Decimal("185"))
        await until(lambda: run.filled(order.client_order_id) == 1)


async def test_frames_that_are_no_trade_update_are_skipped_and_counted() -> None:
    double = AlpacaTradingDouble()
    double.stream_faults.add("garbage")
    async with alpaca_broker(double, stream=True, poll_s=30) as run:
        await streaming(run)
        order, book = await resting(run, "s-bad", "2")
        double.account.trade(book, Decimal(2), Decimal("185"))
        await until(lambda: run.filled(order.client_order_id) == 2)
        assert run.stream is not None and run.stream.counts["bad_frames"] >= 2
        assert any(
            e.kind is SafetyKind.BAD_USER_EVENT and "not JSON" in e.message for e in run.safety
        )
        run.stream._frame(
            b'{"stream": "trade_updates", "data": {"event": "fill"}}', lambda update: None
        )
        assert run.stream.counts["bad_frames"] >= 3  # a frame the SDK's model refuses


async def test_a_rejection_after_acceptance_and_a_foreign_notional_order_come_by_stream() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double, stream=True, poll_s=30) as run:
        await streaming(run)
        order, book = await resting(run, "s-rej", "2")
        double.account.reject(book)
        await until(lambda: run.events[-1].status is OrderStatus.REJECTED)  # type: ignore[union-attr]
        assert (await run.broker.query(order.client_order_id)).status is OrderStatus.REJECTED  # type: ignore[union-attr]
        double.account.place(
            {
                "symbol": "AAPL",
                "side": "buy",
                "type": "market",
                "notional": "95",
                "time_in_force": "day",
                "client_order_id": "by-hand-notional",
            }
        )
        await until(lambda: run.filled("by-hand-notional") == Decimal("0.5"))
        foreign = [e for e in run.safety if e.kind is SafetyKind.FOREIGN_ORDER]
        assert len(foreign) == 1 and "by-hand-notional" in foreign[0].message
