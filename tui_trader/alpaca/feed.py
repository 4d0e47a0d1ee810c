"""AlpacaFeed: closed candles (and a price per minute) from Alpaca's market data stream
v2, with the guarantees of the Binance and Upbit feeds (the supervisor all share:
market/stream_feed.py).

Library or adapter? alpaca-py's `StockDataStream` was the first candidate (the rule:
never hand-roll what the library signs or parses). It does not fit the feed's contract:
its reconnect loop is its own and silent (a drop is logged, never told to the caller,
so the minutes lost in the gap cannot be backfilled), its staleness check knows nothing
of market hours, an auth failure is retried forever with only a log line, `run()` calls
`asyncio.run` (we already run a loop; `_run_forever` is private), and it speaks msgpack
into pydantic models of floats. Nothing on this socket is signed (the key pair goes in
one JSON message) and the JSON is parsed by the standard library straight into Decimal
(frames.py), so a thin adapter on aiohttp in JSON mode hand-rolls nothing the SDK would
do better. The REST side, where the SDK does real work (paging, 429 retries), stays the
SDK's: the backfill calls a synchronous bars source (alpaca/bars.py) in a thread.

The connection: `[{"T":"success","msg":"connected"}]`, then our auth, answered by
`authenticated` or an error (402 auth failed, 406 connection limit exceeded, ...), then
the subscription to minute bars. A refusal is reported (once per distinct reason) and
tried again with backoff. aiohttp's heartbeat pings the server, so a dead connection is
noticed even at night; while the market is open, no bar for `stale_after_s` of open
market replaces the connection too. While it is closed (calendar: hours.py) silence is
expected: neither a stale alarm nor a REST backfill for time no bar can exist in."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta

import aiohttp

from tui_trader.alpaca.bar_closer import MINUTE, BarCloser, bucket_of
from tui_trader.alpaca.frames import (
    AUTH_FAILED,
    FrameError,
    MinuteBar,
    Status,
    StreamError,
    auth,
    parse_frame,
    subscribe,
)
from tui_trader.alpaca.hours_fetch import HoursKeeper
from tui_trader.alpaca.keys import AlpacaKeys
from tui_trader.clock import Clock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Candle, Tick, VenueBar
from tui_trader.market.stream_feed import StreamFeed
from tui_trader.market.validation import screen_candle, screen_tick
from tui_trader.resilience.retry import RECONNECT, Backoff
from tui_trader.snapshot import FeedStatus

log = logging.getLogger(__name__)
SafetyListener = Callable[[SafetyEvent], None]
# Minute bars of one symbol in [start, end), oldest first: alpaca/bars.py, synchronous.
MinuteSource = Callable[[str, datetime, datetime], list[VenueBar]]


class StreamRefused(Exception):
    """Alpaca's stream answered the connection with an error message."""

    def __init__(self, error: StreamError) -> None:
        super().__init__(f"Alpaca stream error {error.code}: {error.message}")
        self.code = error.code


class AlpacaFeed(StreamFeed):
    def __init__(
        self,
        symbols: Sequence[str],
        interval: str,
        *,
        clock: Clock,
        keys: AlpacaKeys,
        hours: HoursKeeper,
        stream_url: str,
        minutes: MinuteSource,
        name: str = "alpaca",
        on_safety: SafetyListener | None = None,
        stale_after_s: float = 150.0,
        heartbeat_s: float = 20.0,
        grace_s: float = 5.0,
        check_every_s: float = 1.0,
        backoff: Backoff | None = None,
        request_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(name, clock, on_safety, backoff or RECONNECT, stale_after_s, 10_000)
        self._symbols = {s.removesuffix("USD"): s for s in symbols}
        self._keys, self.hours, self._url, self._minutes = keys, hours, stream_url, minutes
        self._heartbeat_s, self._timeout_s = heartbeat_s, request_timeout_s
        self._check_every_s = check_every_s
        self._closer = BarCloser(interval, timedelta(seconds=grace_s))
        self._last_bar_at = clock.now()  # wall time of the last bar (or connect)
        self._refusal = ""  # the last refusal reported (each distinct one once)
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    def known(self, candles: list[Candle]) -> None:
        """The warm-up history: the stream's late copies of it are not new candles."""
        for candle in candles:
            self._closer.known(candle.symbol, candle.open_time)

    def _counted(self) -> dict[str, int]:
        return self._counts | {"late_bars": self._closer.late}

    def status(self) -> FeedStatus:
        """While the market is closed silence is expected: never shown as stale."""
        status = super().status()
        now = self._clock.now()
        hours = self.hours.hours
        detail = f"{status.detail}; {hours.describe(now)}"
        last = status.last_event_at or self._last_bar_at
        allowed = self._stale_after_s + (now - last).total_seconds() - self._open_since(last, now)
        return replace(status, stale_after_s=max(self._stale_after_s, allowed), detail=detail)

    def _open_since(self, last: datetime, now: datetime) -> float:
        hours = self.hours.hours
        if hours.known(now) and not hours.is_open(now):
            return 0.0  # closed: nothing is late
        return hours.open_seconds(last, now) if hours.known(last) else (now - last).total_seconds()

    # --- the connection (the supervisor is StreamFeed's) --------------------------
    async def _release(self) -> None:
        await self._close_socket()
        await self.hours.close()
        if self._session is not None:
            await self._session.close()

    async def _connect(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(
            self._url, heartbeat=self._heartbeat_s,
            timeout=aiohttp.ClientWSTimeout(ws_close=self._timeout_s),
        )  # fmt: skip
        try:
            await self._expect("connected")
            await self._ws.send_str(auth(self._keys.key_id, self._keys.secret))
            await self._expect("authenticated")
        except StreamRefused as exc:
            self._refused(exc)
            raise
        await self._ws.send_str(subscribe(sorted(self._symbols)))
        self._last_bar_at, self._refusal = self._clock.now(), ""

    async def _expect(self, word: str) -> None:
        """Read until Alpaca says `word` (success); StreamRefused on its error."""
        ws = self._ws
        assert ws is not None
        async with asyncio.timeout(self._timeout_s):
            while True:
                msg = await ws.receive()
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    raise ConnectionError(f"websocket {msg.type.name.lower()} before {word}")
                for item in parse_frame(msg.data):
                    if isinstance(item, StreamError):
                        raise StreamRefused(item)
                    if isinstance(item, Status) and item.message == word:
                        return

    def _refused(self, exc: StreamRefused) -> None:
        if str(exc) == self._refusal:
            return
        self._refusal = str(exc)
        keys = "; check ALPACA_API_KEY_ID/ALPACA_API_SECRET_KEY or `keys set alpaca`"
        message = f"{self.name}: {exc}{keys if exc.code == AUTH_FAILED else ''}; trying again"
        severity = Severity.CRITICAL if exc.code == AUTH_FAILED else Severity.WARNING
        self._safety(SafetyEvent(self._clock.now(), severity, SafetyKind.FEED_ERROR, message))

    async def _close_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            with suppress(Exception):
                await asyncio.wait_for(ws.close(), self._timeout_s)

    async def _consume(self) -> str:
        """Read the socket until it must be replaced; returns why."""
        ws = self._ws
        assert ws is not None
        tasks = {asyncio.create_task(self._pump(ws)), asyncio.create_task(self._watch())}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            return done.pop().result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _pump(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        async for msg in ws:
            if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                return f"websocket {msg.type.name.lower()}"
            for item in parse_frame(msg.data):
                if reason := self._on_message(item):
                    return reason
        return "connection closed by Alpaca"

    async def _watch(self) -> str:
        """Close due candles, refresh the calendar, notice silence in open market."""
        while True:
            await asyncio.sleep(self._check_every_s)
            now = self._clock.now()
            for candle in self._closer.due(now):
                self._put_candle(candle)
            self.hours.refresh_due()
            silent = self._open_since(self._last_bar_at, now)
            if silent > self._stale_after_s:
                return f"silence ({silent:.0f}s of open market without a bar)"

    # --- messages → events ------------------------------------------------------------
    def _on_message(self, item: object) -> str:
        """Handles one message; returns why the connection must go ("" to go on)."""
        if isinstance(item, FrameError):
            self._bad(str(item))
        elif isinstance(item, StreamError):
            self._refused(StreamRefused(item))
            return f"Alpaca stream error {item.code}: {item.message}"
        elif isinstance(item, MinuteBar):
            self._on_bar(item)
        return ""

    def _on_bar(self, item: MinuteBar) -> None:
        symbol = self._symbols.get(item.ticker)
        if symbol is None:
            self._bad(f"a bar of {item.ticker[:12]!r}, not subscribed")
            return
        self._last_bar_at = self._last_event_at = self._clock.now()
        bar = item.bar
        tick = Tick(symbol, bar.open_time + MINUTE, bar.close, bar.close, bar.close, bar.volume)
        if screen_tick(tick, self._report_bad):
            self._put_tick(tick)  # the minute's last price: what paper orders fill on
        for candle in self._closer.add(symbol, bar):
            self._put_candle(candle)

    def _put_candle(self, candle: Candle) -> None:
        if screen_candle(candle, self._report_bad, source=self.name):
            self._queue.put_nowait(candle)

    async def _backfill(self) -> int:
        """Emit the candles closed since the last minute taken, per symbol, from REST
        minute bars (in a thread: the SDK is synchronous); closed time is not asked for."""
        count = 0
        for symbol in self._symbols.values():
            after = self._closer.resume_after(symbol)
            now = self._clock.now()
            end = bucket_of(now, MINUTE)
            if after is None or after + MINUTE >= end:
                continue
            if not self.hours.hours.open_between(after + MINUTE, end):
                continue
            bars = await asyncio.to_thread(self._minutes, symbol, after + MINUTE, end)
            for bar in sorted(bars, key=lambda b: b.open_time):
                if bar.open_time + MINUTE <= now:
                    for candle in self._closer.add(symbol, bar):
                        self._put_candle(candle)
                        count += 1
        for candle in self._closer.due(self._clock.now()):
            self._put_candle(candle)
            count += 1
        return count
