"""AlpacaFeed against the local Alpaca doubles (stream, bars REST and calendar on
127.0.0.1): minute bars become closed candles once each (gathered into 15m when asked);
a forced drop is backfilled over REST (alpaca-py against the bars double) with no candle
missed or repeated; a silent server is replaced while the market is open and left alone
while it is closed (no stale alarm, no REST asked for closed time); refused keys and a
connection limit are said plainly; garbage never stops the feed."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.doubles.alpaca_data import KEY_ID, SECRET
from tests.doubles.alpaca_stream import AlpacaVenue, alpaca_venue, new_venue, stream_base
from tui_trader.alpaca.bars import StockBars
from tui_trader.alpaca.feed import AlpacaFeed
from tui_trader.alpaca.hours_fetch import HoursKeeper, fetch_hours
from tui_trader.alpaca.keys import AlpacaKeys
from tui_trader.clock import SimulatedClock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle, Tick
from tui_trader.market.feed import MarketEvent
from tui_trader.resilience.retry import Backoff

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York
MINUTE = timedelta(minutes=1)
KEYS = AlpacaKeys(KEY_ID, SECRET)
RUNS: list["Run"] = []  # closed by the venue fixture, even when a test fails


class Run:
    """The feed on the doubles, its events and safety events collected as they come."""

    def __init__(self, url: str, venue: AlpacaVenue, hours: HoursKeeper, **kw: object) -> None:
        self.venue, self.stream, self.url = venue, venue.stream, url
        self.clock = hours._clock  # type: ignore[attr-defined]
        self.safety: list[SafetyEvent] = []
        self.events: list[MarketEvent] = []
        bars = StockBars(KEY_ID, SECRET, url)
        options: dict[str, object] = {
            "stale_after_s": 60.0, "grace_s": 5.0, "check_every_s": 0.05,
            "backoff": Backoff(base_s=0.02, max_s=0.1, jitter=0.5), "request_timeout_s": 2.0,
        } | kw  # fmt: skip
        self.feed = AlpacaFeed(
            ["AAPLUSD"], str(options.pop("interval", "1m")), clock=self.clock, keys=KEYS,
            hours=hours, stream_url=stream_base(url) + "/iex",
            minutes=lambda s, a, b: bars.bars(s, "1m", a, b), on_safety=self.safety.append,
            **options,  # type: ignore[arg-type]
        )  # fmt: skip
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self.feed.events():
            self.events.append(event)

    def at(self, when: datetime) -> None:
        self.clock.set(when)
        self.venue.at(when)

    def candles(self) -> list[Candle]:
        return [e for e in self.events if isinstance(e, Candle)]

    def minutes(self) -> list[int]:
        return [(c.open_time - T0) // MINUTE for c in self.candles()]

    def kinds(self) -> list[str]:
        return [event.kind for event in self.safety]

    async def until(self, condition: Callable[[], bool], seconds: float = 5.0) -> None:
        async with asyncio.timeout(seconds):
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.01)


async def started(url: str, venue: AlpacaVenue, now: datetime, **kw: object) -> Run:
    clock = SimulatedClock(now)
    venue.at(now)
    hours = await fetch_hours(url, KEYS, now.date())
    RUNS.append(Run(url, venue, HoursKeeper(hours, url, KEYS, clock), **kw))
    return RUNS[-1]


@pytest.fixture
async def venue() -> AsyncIterator[tuple[AlpacaVenue, str]]:
    doubles = new_venue(T0)
    async with alpaca_venue(doubles) as url:
        try:
            yield doubles, url
        finally:
            while RUNS:
                await RUNS.pop().feed.close()
            await doubles.stream.drop()


@pytest.fixture
async def run(venue: tuple[AlpacaVenue, str]) -> Run:
    doubles, url = venue
    going = await started(url, doubles, T0 + 3 * MINUTE + timedelta(seconds=2))
    await doubles.stream.wait_subscribed(1)
    return going


async def test_minute_bars_become_closed_candles_and_prices_once_each(run: Run) -> None:
    assert run.stream.subscriptions == [["AAPL"]]
    await run.stream.bar("AAPL", T0 + 2 * MINUTE, Decimal("180.25"))
    await run.until(lambda: run.minutes() == [2])
    tick, candle = run.events
    assert tick == Tick("AAPLUSD", T0 + 3 * MINUTE, *[Decimal("180.25")] * 3, Decimal(1200))
    assert isinstance(candle, Candle) and candle.close == Decimal("180.25")
    assert candle.close_time == T0 + 3 * MINUTE - timedelta(milliseconds=1)
    await run.stream.bar("AAPL", T0 + 2 * MINUTE)  # a duplicate
    await run.stream.bar("AAPL", T0 + MINUTE)  # late
    await run.stream.bar("AAPL", T0 + 3 * MINUTE)
    await run.until(lambda: run.minutes() == [2, 3])
    assert "late_bars=2" in run.feed.status().detail
    assert "market open until 21:00 UTC" in run.feed.status().detail
    assert run.feed.hours.is_open(T0) and not run.feed.hours.is_open(T0 + timedelta(hours=6))
    assert run.feed.hours.next_open(T0) == T0 + timedelta(days=1, minutes=-30)


async def test_minute_bars_are_gathered_into_the_configured_interval(
    venue: tuple[AlpacaVenue, str],
) -> None:
    doubles, url = venue
    going = await started(url, doubles, T0 + 16 * MINUTE, interval="15m")
    await doubles.stream.wait_subscribed(1)
    prices = [Decimal(p) for p in ("180.10", "181.00", "179.50")]
    for minute, price in zip((0, 7, 14), prices, strict=True):
        await doubles.stream.bar("AAPL", T0 + minute * MINUTE, price)
    await going.until(lambda: len(going.candles()) == 1)
    [candle] = going.candles()
    assert (candle.open_time, candle.interval) == (T0, "15m")
    assert (candle.open, candle.close, candle.volume) == (prices[0], prices[2], Decimal(3600))
    assert candle.high == Decimal("181.05") and candle.low == Decimal("179.45")
    await doubles.stream.bar("AAPL", T0 + 16 * MINUTE)  # the next one forms
    going.at(T0 + 30 * MINUTE + timedelta(seconds=6))  # its end and grace are over
    await going.until(lambda: len(going.candles()) == 2)


async def test_a_forced_drop_is_backfilled_without_a_gap_or_a_duplicate(run: Run) -> None:
    for minute in (1, 2):
        await run.stream.bar("AAPL", T0 + minute * MINUTE)
    await run.until(lambda: run.minutes() == [1, 2])
    run.at(T0 + 6 * MINUTE + timedelta(seconds=20))  # 3, 4 and 5 close while we are away
    await run.stream.drop()
    await run.stream.wait_subscribed(2)
    await run.until(lambda: "feed_reconnect" in run.kinds())
    await run.until(lambda: len(run.minutes()) >= 5)  # the collector may lag the report
    assert run.minutes() == [1, 2, 3, 4, 5]  # 6 is still forming: REST's copy is not taken
    [event] = [e for e in run.safety if e.kind == "feed_reconnect"]
    assert "backfilled 3 candles" in event.message and "connection closed" in event.message
    [asked] = run.venue.data.requests
    assert asked["timeframe"] == "1Min" and asked["start"].startswith("2026-12-01T15:03:00")
    for minute in (5, 6):  # 5 again: late
        await run.stream.bar("AAPL", T0 + minute * MINUTE)
    await run.until(lambda: run.minutes() == [1, 2, 3, 4, 5, 6])


async def test_silence_in_open_market_replaces_the_connection(run: Run) -> None:
    run.stream.silent = True  # the socket stays open; no bar comes
    run.at(T0 + 5 * MINUTE)  # 118 s of open market without a bar (stale after 60)
    await run.until(lambda: run.stream.connects == 2)
    run.stream.silent = False
    await run.until(lambda: "feed_reconnect" in run.kinds())
    [event] = [e for e in run.safety if e.kind == "feed_reconnect"]
    assert "after silence" in event.message and "of open market without a bar" in event.message


async def test_a_closed_market_is_quiet_without_a_stale_alarm_or_a_backfill(
    venue: tuple[AlpacaVenue, str],
) -> None:
    doubles, url = venue
    friday_close = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
    going = await started(url, doubles, friday_close + timedelta(seconds=1))
    await doubles.stream.wait_subscribed(1)
    await doubles.stream.bar("AAPL", friday_close - MINUTE)  # the session's last minute
    await going.until(lambda: len(going.candles()) == 1)
    going.at(friday_close + timedelta(hours=40))  # Sunday: nothing all weekend
    await asyncio.sleep(0.3)
    status = going.feed.status()
    assert doubles.stream.connects == 1 and status.connected
    age = (going.clock.now() - status.last_event_at).total_seconds()  # type: ignore[operator]
    assert age < status.stale_after_s  # not stale
    assert "market closed; opens Mon 14:30 UTC" in status.detail
    await doubles.stream.drop()  # a drop at night: reconnected, nothing asked of REST
    await going.until(lambda: "feed_reconnect" in going.kinds())
    assert doubles.data.requests == [] and "backfilled 0 candles" in going.safety[-1].message


async def test_refused_keys_are_said_plainly_and_tried_again(
    venue: tuple[AlpacaVenue, str],
) -> None:
    doubles, url = venue
    doubles.stream.refuse = (402, "auth failed")
    going = await started(url, doubles, T0)
    await going.until(lambda: doubles.stream.auths >= 3)
    [event] = [e for e in going.safety if e.kind == "feed_error"]  # once, not per attempt
    assert event.severity is Severity.CRITICAL
    assert event.message.startswith("alpaca: Alpaca stream error 402: auth failed; check ALPACA")
    assert not going.feed.status().connected
    doubles.stream.refuse = None
    await doubles.stream.wait_subscribed(1)


async def test_a_connection_limit_is_reported_and_tried_again(
    venue: tuple[AlpacaVenue, str],
) -> None:
    doubles, url = venue
    doubles.stream.refuse = (406, "connection limit exceeded")
    going = await started(url, doubles, T0)
    await going.until(lambda: "feed_error" in going.kinds())
    assert "406: connection limit exceeded; trying again" in going.safety[0].message
    doubles.stream.refuse = None
    await doubles.stream.wait_subscribed(1)
    assert going.feed.status().connected


async def test_garbage_is_dropped_reported_and_the_feed_goes_on(run: Run) -> None:
    bad_bar = '[{"T":"b","S":"AAPL","o":-1,"h":1,"l":1,"c":1,"v":1,"t":"2026-12-01T15:01:00Z"}]'
    for garbage in ("\x00\xff", '{"T":"b"}', '[{"T":"zz"}]', bad_bar, '[{"T":"b","S":"MSFT"}]'):
        await run.stream.raw(garbage)
    await run.stream.bar("AAPL", T0 + 2 * MINUTE)
    await run.until(lambda: run.minutes() == [2])
    assert "bad_frames=5" in run.feed.status().detail
    [report] = [e for e in run.safety if e.kind == "bad_market_data"]  # once, not five times
    assert "not JSON" in report.message and "(1 dropped so far)" in report.message
    assert run.stream.connects == 1
