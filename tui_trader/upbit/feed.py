"""UpbitFeed: ticks and closed candles from Upbit's public WebSocket, with the guarantees
of the Binance feed (the supervisor both share: market/stream_feed.py).

One aiohttp WebSocket carries `ticker` (each trade: a Tick) and `candle.<N>m` (the
forming candle; candles.py decides when one is closed). We reconnect ourselves, after an
exponential backoff with jitter, whenever the connection ends, Upbit sends an error
frame, or nothing at all arrives for `stale_after_s`: the feed sends Upbit's `PING` text
every third of that and the server answers `{"status":"UP"}`, so a quiet market is not
taken for a dead connection, and a silent server is. After a reconnect the candles
closed during the gap come from REST (`Quotation.candles`) before the stream goes on,
each emitted once. A frame that reads as nothing Upbit sends is dropped, counted and
reported (a safety event at most every BAD_REPORT_EVERY_S), never a crash."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import timedelta

import aiohttp

from tui_trader.clock import Clock
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle
from tui_trader.market.stream_feed import StreamFeed
from tui_trader.market.validation import screen_candle, screen_tick
from tui_trader.resilience.retry import RECONNECT, Backoff
from tui_trader.upbit.candles import CandleCloser
from tui_trader.upbit.frames import (
    CandleFrame,
    ErrorFrame,
    FrameError,
    StatusFrame,
    parse_frame,
    subscription,
)
from tui_trader.upbit.quotation import API, PAGE, Quotation, market_code, step_of

log = logging.getLogger(__name__)
WS_URL = "wss://api.upbit.com/websocket/v1"
SafetyListener = Callable[[SafetyEvent], None]


class UpbitFeed(StreamFeed):
    def __init__(
        self,
        symbols: Sequence[str],
        interval: str = "1m",
        *,
        clock: Clock,
        api_url: str = API,
        ws_url: str = WS_URL,
        name: str = "upbit",
        on_safety: SafetyListener | None = None,
        stale_after_s: float = 10.0,
        grace_s: float = 3.0,
        backoff: Backoff | None = None,
        request_timeout_s: float = 10.0,
        max_tick_backlog: int = 10_000,
    ) -> None:
        backoff = backoff or RECONNECT
        super().__init__(name, clock, on_safety, backoff, stale_after_s, max_tick_backlog)
        self._markets = {market_code(s): s for s in symbols}
        self._interval, self._api_url, self._ws_url = interval, api_url, ws_url
        self._timeout_s = request_timeout_s
        self._closer = CandleCloser(interval, timedelta(seconds=grace_s))
        self._last_frame = 0.0  # loop time of the last frame of any kind
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    def known(self, candles: list[Candle]) -> None:
        """The warm-up history: a late stream copy of its last candle is not a new one."""
        for candle in candles:
            self._closer.known(candle.symbol, candle.open_time)

    def _counted(self) -> dict[str, int]:
        return self._counts | {"late_candles": self._closer.late}

    # --- the connection (the supervisor is StreamFeed's) --------------------------
    async def _release(self) -> None:
        await self._close_socket()
        if self._session is not None:
            await self._session.close()

    async def _connect(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(
            self._ws_url, timeout=aiohttp.ClientWSTimeout(ws_close=self._timeout_s)
        )
        await self._ws.send_str(subscription(list(self._markets), self._interval))
        self._last_frame = asyncio.get_running_loop().time()

    async def _close_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            with suppress(Exception):
                await asyncio.wait_for(ws.close(), self._timeout_s)

    async def _consume(self) -> str:
        """Read the socket until it must be replaced; returns why."""
        ws = self._ws
        assert ws is not None
        tasks = {asyncio.create_task(self._pump(ws)), asyncio.create_task(self._watch(ws))}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            return done.pop().result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _pump(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        loop_time = asyncio.get_running_loop().time
        async for msg in ws:
            if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                return f"websocket {msg.type.name.lower()}"
            self._last_frame = loop_time()
            if reason := self._on_frame(msg.data):
                return reason
        return "connection closed by Upbit"

    async def _watch(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        """Close due candles, keep the connection talking, notice when it is not."""
        loop = asyncio.get_running_loop()
        every = min(self._stale_after_s / 4, 1.0)
        pinged = loop.time()
        while True:
            await asyncio.sleep(every)
            for candle in self._closer.due(self._clock.now()):
                self._put_candle(candle)
            now = loop.time()
            if now - self._last_frame > self._stale_after_s:
                return f"silence ({now - self._last_frame:.1f}s without a frame)"
            if now - pinged >= self._stale_after_s / 3:
                pinged = now
                await ws.send_str("PING")

    # --- frames → events ------------------------------------------------------------
    def _on_frame(self, data: str | bytes) -> str:
        """Handles one frame; returns why the connection must go ("" to go on)."""
        try:
            frame = parse_frame(data, self._markets, self._interval)
        except FrameError as exc:
            self._bad(str(exc))
            return ""
        if isinstance(frame, ErrorFrame):
            return f"Upbit error {frame.name}: {frame.message}"[:200]
        if isinstance(frame, StatusFrame):
            return ""
        self._last_event_at = self._clock.now()
        if isinstance(frame, CandleFrame):
            for candle in self._closer.update(self._markets[frame.market], frame.candle):
                self._put_candle(candle)
        elif screen_tick(frame, self._report_bad):
            self._put_tick(frame)
        return ""

    def _put_candle(self, candle: Candle) -> None:
        if screen_candle(candle, self._report_bad, source=self.name):
            self._queue.put_nowait(candle)

    async def _backfill(self) -> int:
        """Emit the closed candles missed since the last one emitted, per symbol."""
        count, step = 0, step_of(self._interval)
        async with Quotation(self._api_url, self._timeout_s) as upbit:
            for symbol in self._markets.values():
                cursor = self._closer.last_closed(symbol)
                while cursor is not None:
                    now = self._clock.now()
                    end = min(now, cursor + PAGE * step)
                    page = await upbit.candles(symbol, self._interval, end)
                    for candle in self._closer.backfill(symbol, page, now):
                        self._put_candle(candle)
                        count += 1
                    cursor = end if end < now else None
        return count
