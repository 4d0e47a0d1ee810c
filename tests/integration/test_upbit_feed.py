"""UpbitFeed against the local Upbit double (REST and WebSocket on 127.0.0.1): ticks and
closed candles flow; a forced drop mid-minute is backfilled over REST with no candle
missed or repeated; a silent server is noticed and replaced; garbage and error frames
never stop the feed."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.doubles.upbit_quotation import UpbitQuotation
from tests.doubles.upbit_stream import UpbitStream, upbit_venue, ws_url
from tui_trader.clock import SimulatedClock
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle, Tick
from tui_trader.market.feed import MarketEvent
from tui_trader.resilience.retry import Backoff
from tui_trader.upbit.feed import UpbitFeed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
BTC = "KRW-BTC"


class Run:
    """The feed on the doubles, its events and safety events collected as they come."""

    def __init__(self, url: str, stream: UpbitStream, quotation: UpbitQuotation) -> None:
        self.stream, self.quotation = stream, quotation
        self.clock = SimulatedClock(quotation.now)
        self.safety: list[SafetyEvent] = []
        self.events: list[MarketEvent] = []
        self.feed = UpbitFeed(
            ["BTCKRW"], clock=self.clock, api_url=url, ws_url=ws_url(url),
            on_safety=self.safety.append, stale_after_s=0.6, grace_s=3.0,
            backoff=Backoff(base_s=0.02, max_s=0.1, jitter=0.5), request_timeout_s=2.0,
        )  # fmt: skip
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self.feed.events():
            self.events.append(event)

    def at(self, when: datetime) -> None:
        self.clock.set(when)
        self.quotation.now = when

    def candles(self) -> list[Candle]:
        return [e for e in self.events if isinstance(e, Candle)]

    def minutes(self) -> list[int]:
        return [(c.open_time - T0) // MINUTE for c in self.candles()]

    def kinds(self) -> list[str]:
        return [event.kind for event in self.safety]

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(5):
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.01)


@pytest.fixture
async def run() -> AsyncIterator[Run]:
    quotation, stream = UpbitQuotation(now=T0 + 3 * MINUTE + timedelta(seconds=30)), UpbitStream()
    async with upbit_venue(quotation, stream) as url:
        started = Run(url, stream, quotation)
        await stream.wait_subscribed(1)
        yield started
        await started.feed.close()


async def test_ticks_and_closed_candles_flow_once_each(run: Run) -> None:
    [request] = run.stream.requests
    asked = [{"type": "ticker", "codes": [BTC]}, {"type": "candle.1m", "codes": [BTC]}]
    assert request[1:] == [*asked, {"format": "DEFAULT"}]  # type: ignore[index]
    await run.stream.ticker(BTC, 90_001_000, "0.003", T0 + 3 * MINUTE)
    for minute, final in ((2, False), (2, True), (3, False), (2, True), (3, False)):
        await run.stream.candle(BTC, T0 + minute * MINUTE, final)
    await run.until(lambda: len(run.events) == 2)
    tick, candle = run.events
    assert tick == Tick("BTCKRW", T0 + 3 * MINUTE, *[Decimal(90_001_000)] * 3, Decimal("0.003"))
    assert isinstance(candle, Candle) and candle.closed and run.minutes() == [2]
    assert candle.volume != Decimal("0.5")  # the last version of minute 2, not the first
    run.at(T0 + 4 * MINUTE + timedelta(seconds=3))  # minute 3 and its grace are over
    await run.until(lambda: run.minutes() == [2, 3])
    assert "late_candles=1" in run.feed.status().detail  # minute 2, sent again


async def test_a_forced_drop_mid_minute_is_backfilled_without_a_gap_or_a_duplicate(
    run: Run,
) -> None:
    for minute, final in ((1, True), (2, True), (3, False)):
        await run.stream.candle(BTC, T0 + minute * MINUTE, final)
    await run.until(lambda: run.minutes() == [1, 2])
    run.at(T0 + 6 * MINUTE + timedelta(seconds=20))  # 3, 4 and 5 close while we are away
    await run.stream.drop()
    await run.stream.wait_subscribed(2)
    await run.until(lambda: "feed_reconnect" in run.kinds())
    assert run.minutes() == [1, 2, 3, 4, 5]
    assert run.candles()[2].volume != Decimal("0.5")  # REST's minute 3, not the stream's
    [event] = [e for e in run.safety if e.kind == "feed_reconnect"]
    assert "backfilled 3 candles" in event.message and "connection closed" in event.message
    for minute, final in ((5, True), (6, False), (7, False)):  # 5 again: late
        await run.stream.candle(BTC, T0 + minute * MINUTE, final)
    await run.until(lambda: run.minutes() == [1, 2, 3, 4, 5, 6])


async def test_a_silent_server_is_noticed_and_replaced(run: Run) -> None:
    run.stream.silent = True  # the socket stays open; nothing comes, PING unanswered
    await run.until(lambda: run.stream.connects == 2)
    run.stream.silent = False
    await run.until(lambda: "feed_reconnect" in run.kinds())
    [event] = [e for e in run.safety if e.kind == "feed_reconnect"]
    assert "after silence" in event.message
    await run.stream.wait_subscribed(2)  # the new connection subscribed (not just open)
    await run.until(lambda: len(run.stream.live) == 1)  # and the silent one is gone
    await run.stream.ticker(BTC, 90_000_000, "0.1", T0)
    await run.until(lambda: len(run.events) == 1)


async def test_an_answered_ping_keeps_a_quiet_market_connected(run: Run) -> None:
    await asyncio.sleep(1.5)  # 2.5 × stale_after_s without market data
    assert run.stream.pings >= 3 and run.stream.connects == 1
    assert run.feed.status().connected


async def test_garbage_frames_are_dropped_reported_and_the_feed_goes_on(run: Run) -> None:
    negative = b'{"type":"ticker","code":"KRW-BTC","trade_price":-5,"timestamp":1}'
    for garbage in (b"\x00\xff", b"[1, 2]", b'{"type":"ticker","code":"KRW-BTC"}', negative):
        await run.stream.raw(garbage)
    await run.stream.ticker(BTC, 90_000_000, "0.1", T0)
    await run.until(lambda: len(run.events) == 1)
    assert "bad_frames=4" in run.feed.status().detail
    [report] = [e for e in run.safety if e.kind == "bad_market_data"]  # once, not four times
    assert "not JSON" in report.message and "(1 dropped so far)" in report.message
    assert run.stream.connects == 1


async def test_an_error_frame_is_reported_and_the_connection_replaced(run: Run) -> None:
    await run.stream.error_all("INVALID_PARAM", "codes unknown")
    await run.until(lambda: "feed_reconnect" in run.kinds())
    [event] = [e for e in run.safety if e.kind == "feed_reconnect"]
    assert "Upbit error INVALID_PARAM: codes unknown" in event.message
    assert run.stream.connects == 2 and run.feed.status().connected
