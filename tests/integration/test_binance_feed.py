"""BinanceFeed against the local exchange double: real python-binance sockets and REST
on 127.0.0.1, faults injected by the double."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.integration.conftest_binance import exchange_fixture, spec_fixture  # noqa: F401
from tui_trader.binance.client import ClientSpec, close_client
from tui_trader.binance.feed import BinanceFeed
from tui_trader.binance.klines import missed_klines
from tui_trader.clock import SystemClock, ms_to_dt
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle, Tick
from tui_trader.market.feed import MarketEvent
from tui_trader.resilience.retry import Backoff

MINUTE = 60_000


def minute_base() -> int:
    """An hour ago, on a minute boundary: pushed candles are closed by the wall clock."""
    return (int(time.time() * 1000) // MINUTE - 60) * MINUTE


class Collector:
    def __init__(self, feed: BinanceFeed) -> None:
        self.events: list[MarketEvent] = []
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._run(feed))

    async def _run(self, feed: BinanceFeed) -> None:
        async for event in feed.events():
            self.events.append(event)
            self._changed.set()

    def candles(self) -> list[Candle]:
        return [e for e in self.events if isinstance(e, Candle)]

    def ticks(self) -> list[Tick]:
        return [e for e in self.events if isinstance(e, Tick)]

    async def until(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(5.0):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()


class Harness:
    def __init__(self, spec: ClientSpec, exchange: BinanceExchangeDouble, **options: Any) -> None:
        self.safety: list[SafetyEvent] = []
        self.bad: list[str] = []
        self.exchange = exchange
        self._safety_seen = asyncio.Event()
        defaults: dict[str, Any] = {
            "backoff": Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
            "socket_poll_s": 0.1,
        }
        self.feed = BinanceFeed(
            spec,
            ["BTCUSDT"],
            clock=SystemClock(),
            on_safety=self._on_safety,
            on_bad_data=self.bad.append,
            **(defaults | options),
        )
        self.seen = Collector(self.feed)

    async def kline(self, open_ms: int, close: str = "101", closed: bool = True) -> None:
        await self.exchange.streams.push_kline(
            "BTCUSDT", open_ms, ("100", "102", "99", close), "5", closed, "1m"
        )

    def _on_safety(self, event: SafetyEvent) -> None:
        self.safety.append(event)
        self._safety_seen.set()

    async def wait_reconnects(self, count: int) -> None:
        async with asyncio.timeout(5.0):
            while len([e for e in self.safety if e.kind == "feed_reconnect"]) < count:
                self._safety_seen.clear()
                await self._safety_seen.wait()


@pytest.fixture
async def harness(
    spec: ClientSpec, exchange: BinanceExchangeDouble
) -> AsyncIterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(**options: Any) -> Harness:
        made.append(Harness(spec, exchange, **options))
        return made[-1]

    yield make
    for h in made:
        await h.feed.close()


async def test_closed_candles_and_book_ticks_arrive(
    exchange: BinanceExchangeDouble, harness: Callable[..., Harness]
) -> None:
    h = harness()
    await exchange.wait_stream_connects(1)
    base = minute_base()
    await h.kline(base, closed=False)  # forming: not emitted
    await exchange.streams.publish(
        "btcusdt@bookTicker",
        exchange.streams.book_frame("BTCUSDT", Decimal("100.10"), Decimal("100.30")),
    )
    await h.kline(base, close="101.5")
    await h.seen.until(lambda: len(h.seen.candles()) == 1 and len(h.seen.ticks()) == 1)

    [candle], [tick] = h.seen.candles(), h.seen.ticks()
    assert candle == Candle(
        "BTCUSDT",
        ms_to_dt(base),
        ms_to_dt(base + MINUTE - 1),
        Decimal("100"),
        Decimal("102"),
        Decimal("99"),
        Decimal("101.5"),
        Decimal("5"),
        closed=True,
        interval="1m",
    )
    assert (tick.bid, tick.ask, tick.price) == (
        Decimal("100.1"),
        Decimal("100.3"),
        Decimal("100.2"),
    )
    status = h.feed.status()
    assert status.connected and status.last_event_at is not None
    assert h.safety == [] and h.bad == []


async def test_drop_1001_reconnects_and_backfills_without_gap_or_duplicate(
    exchange: BinanceExchangeDouble, harness: Callable[..., Harness]
) -> None:
    h = harness()
    await exchange.wait_stream_connects(1)
    base = minute_base()
    for i in range(3):
        await h.kline(base + i * MINUTE)
    await h.seen.until(lambda: len(h.seen.candles()) == 3)

    await exchange.streams.drop(1001)
    for i in range(3, 6):  # closed while we are away: only REST knows them
        await h.kline(base + i * MINUTE)
    await h.exchange.streams.push_kline(  # the forming candle REST also returns
        "BTCUSDT",
        (int(time.time() * 1000) // MINUTE) * MINUTE,
        ("1", "1", "1", "1"),
        "1",
        False,
        "1m",
    )
    await h.wait_reconnects(1)
    await h.kline(base + 5 * MINUTE)  # a replay of a backfilled candle
    await h.kline(base + 6 * MINUTE)
    await h.seen.until(lambda: len(h.seen.candles()) >= 7)
    await asyncio.sleep(0.1)  # anything extra would have arrived by now

    opens = [c.open_time for c in h.seen.candles()]
    assert opens == [ms_to_dt(base + i * MINUTE) for i in range(7)]
    [event] = h.safety
    assert event.kind == "feed_reconnect" and event.data["backfilled"] == 3
    assert "ConnectionClosed" in event.data["reason"]
    assert ("GET", "/api/v3/klines") in exchange.requests


async def test_silent_stream_is_detected_and_recreated(
    exchange: BinanceExchangeDouble, harness: Callable[..., Harness]
) -> None:
    h = harness(stale_after_s=0.3, book_stale_after_s=None)
    await exchange.wait_stream_connects(1)
    base = minute_base()
    await h.kline(base)
    await h.seen.until(lambda: len(h.seen.candles()) == 1)

    exchange.streams.silence()  # connection stays open, nothing arrives
    await h.kline(base + MINUTE)  # lost on the silent connection, found by backfill
    await h.wait_reconnects(1)
    await h.kline(base + 2 * MINUTE)
    await h.seen.until(lambda: len(h.seen.candles()) == 3)

    assert "stale stream btcusdt@kline_1m" in h.safety[0].data["reason"]
    assert h.safety[0].data["backfilled"] == 1
    assert exchange.streams.connects == 2


async def test_connection_is_rotated_before_the_24h_limit_without_gap(
    exchange: BinanceExchangeDouble, harness: Callable[..., Harness]
) -> None:
    h = harness(max_connection_s=0.4, book_stale_after_s=None)  # 24 h, scaled down
    await exchange.wait_stream_connects(1)
    base = minute_base()
    await h.kline(base)
    await h.seen.until(lambda: len(h.seen.candles()) == 1)
    await h.wait_reconnects(1)
    await h.kline(base + MINUTE)
    await h.seen.until(lambda: len(h.seen.candles()) == 2)
    assert "rotating the connection" in h.safety[0].data["reason"]
    assert exchange.streams.connects >= 2
    assert [c.open_time for c in h.seen.candles()] == [ms_to_dt(base), ms_to_dt(base + MINUTE)]


async def test_burst_far_beyond_socket_queue_is_drained_without_loss(
    exchange: BinanceExchangeDouble, harness: Callable[..., Harness]
) -> None:
    h = harness(max_queue_size=1)
    await exchange.wait_stream_connects(1)
    for i in range(2000):
        frame = exchange.streams.book_frame("BTCUSDT", Decimal(100 + i % 50), Decimal(200))
        await exchange.streams.publish("btcusdt@bookTicker", frame)
    await h.kline(minute_base())
    await h.seen.until(lambda: len(h.seen.candles()) == 1)
    assert len(h.seen.ticks()) == 2000 and h.safety == []


async def test_queue_overflow_during_backfill_recreates_the_socket(
    exchange: BinanceExchangeDouble, harness: Callable[..., Harness]
) -> None:
    h = harness(max_queue_size=5)
    await exchange.wait_stream_connects(1)
    base = minute_base()
    await h.kline(base)
    await h.seen.until(lambda: len(h.seen.candles()) == 1)

    exchange.faults.delays["/api/v3/klines"] = 0.3  # we are not draining while this runs
    await exchange.streams.drop(1001)
    await h.kline(base + MINUTE)
    await exchange.wait_stream_connects(2)
    for i in range(50):
        frame = exchange.streams.book_frame("BTCUSDT", Decimal(100 + i), Decimal(200))
        await exchange.streams.publish("btcusdt@bookTicker", frame)
    await h.wait_reconnects(2)
    await h.kline(base + 2 * MINUTE)
    await h.seen.until(lambda: len(h.seen.candles()) == 3)

    assert [c.open_time for c in h.seen.candles()] == [
        ms_to_dt(base + i * MINUTE) for i in range(3)
    ]
    assert h.safety[1].data["reason"] == "read loop closed"  # overflow ended python-binance's loop
    assert [e.data["backfilled"] for e in h.safety] == [1, 0]
    assert h.feed.status().connected


async def test_malformed_frames_are_dropped_without_crash(
    exchange: BinanceExchangeDouble, harness: Callable[..., Harness]
) -> None:
    h = harness()
    await exchange.wait_stream_connects(1)
    streams = exchange.streams
    await streams.publish("btcusdt@bookTicker", {"s": "BTCUSDT", "b": "-1", "a": "2"})
    await streams.publish("btcusdt@bookTicker", {"s": "BTCUSDT", "b": 1.5, "a": "2"})
    await streams.publish("btcusdt@kline_1m", {"e": "kline", "k": {"s": "BTCUSDT"}})
    await streams.publish(
        "btcusdt@kline_1m",
        {
            "e": "kline",
            "E": 1,
            "s": "BTCUSDT",
            "k": {
                "t": 0,
                "T": 59999,
                "s": "BTCUSDT",
                "i": "1m",
                "o": "NaN",
                "h": "1",
                "l": "1",
                "c": "1",
                "v": "1",
                "x": True,
            },
        },
    )
    await streams.send_raw('["not", "an", "envelope"]')
    base = minute_base()
    await h.kline(base)
    await h.seen.until(lambda: len(h.seen.candles()) == 1)
    assert len(h.bad) == 5 and h.safety == [] and h.seen.ticks() == []

    await streams.send_raw("{this is not json")  # kills python-binance's read loop
    await h.kline(base + MINUTE)
    await h.seen.until(lambda: len(h.seen.candles()) == 2)
    assert "JSONDecodeError" in h.safety[0].data["reason"]
    assert h.feed.status().detail.startswith("reconnects=1 bad_frames=5")


async def test_server_shutdown_event_makes_the_feed_move(
    exchange: BinanceExchangeDouble, harness: Callable[..., Harness]
) -> None:
    h = harness()
    await exchange.wait_stream_connects(1)
    await exchange.streams.server_shutdown()
    await h.wait_reconnects(1)
    assert h.safety[0].data["reason"] == "serverShutdown announced"
    assert exchange.streams.connects == 2


async def test_backfill_pages_through_more_than_one_reply(
    exchange: BinanceExchangeDouble, spec: ClientSpec
) -> None:
    current = int(time.time() * 1000) // MINUTE * MINUTE
    base = current - 1500 * MINUTE
    for i in range(1501):  # 1,500 closed minutes, then the forming one
        await exchange.streams.push_kline(
            "BTCUSDT", base + i * MINUTE, ("1", "2", "1", "2"), "1", True, "1m"
        )
    client = await spec.create()
    try:
        after = ms_to_dt(base + 99 * MINUTE)
        missed = await missed_klines(client, "BTCUSDT", "1m", after, SystemClock().now(), print)
    finally:
        await close_client(client)
    opens = [c.open_time for c in missed]
    assert opens[:400] == [ms_to_dt(base + i * MINUTE) for i in range(100, 500)]
    assert len(opens) == 1400 or (len(opens) == 1401 and time.time() * 1000 >= current + MINUTE)
    assert opens == sorted(set(opens)) and all(c.closed for c in missed)
    assert exchange.requests.count(("GET", "/api/v3/klines")) == 2  # 1,000 + 401 rows


async def test_futures_feed_streams_klines_and_mark_price_and_backfills_from_fapi(
    exchange: BinanceExchangeDouble, harness: Callable[..., Harness]
) -> None:
    h = harness(market=MarketKind.FUTURES)
    await exchange.wait_stream_connects(1)
    [conn] = exchange.streams.conns
    assert conn.streams == {"btcusdt@kline_1m", "btcusdt@markPrice@1s"}
    base = minute_base()
    await h.kline(base)
    mark = exchange.streams.mark_frame("BTCUSDT", Decimal("50123.4"))
    await exchange.streams.publish("btcusdt@markPrice@1s", mark)
    await h.seen.until(lambda: len(h.seen.candles()) == 1 and len(h.seen.ticks()) == 1)
    [tick] = h.seen.ticks()
    assert tick.price == tick.bid == tick.ask == Decimal("50123.4")
    assert tick.ts == ms_to_dt(mark["E"])

    await exchange.streams.drop(1001)
    await h.kline(base + MINUTE)  # only /fapi/v1/klines knows it
    await h.wait_reconnects(1)
    await h.seen.until(lambda: len(h.seen.candles()) == 2)
    assert ("GET", "/fapi/v1/klines") in exchange.requests
    assert ("GET", "/api/v3/klines") not in exchange.requests
