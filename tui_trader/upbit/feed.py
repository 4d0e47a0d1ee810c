"""UpbitFeed: ticks and closed candles from Upbit's public WebSocket, with the guarantees
of the Binance feed (binance/feed.py).

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
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta

import aiohttp

from tui_trader.clock import Clock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Candle, Tick
from tui_trader.market.feed import MarketEvent
from tui_trader.market.validation import bad_data_event, screen_candle, screen_tick
from tui_trader.resilience.retry import RECONNECT, Backoff
from tui_trader.snapshot import FeedStatus
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
BAD_REPORT_EVERY_S = 10.0
SafetyListener = Callable[[SafetyEvent], None]


class UpbitFeed:
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
        self.name = name
        self._markets = {market_code(s): s for s in symbols}
        self._interval, self._clock, self._on_safety = interval, clock, on_safety
        self._api_url, self._ws_url = api_url, ws_url
        self._stale_after_s, self._backoff = stale_after_s, backoff or RECONNECT
        self._timeout_s, self._max_tick_backlog = request_timeout_s, max_tick_backlog
        self._closer = CandleCloser(interval, timedelta(seconds=grace_s))
        self._queue: asyncio.Queue[MarketEvent | None] = asyncio.Queue()
        self._counts = {"reconnects": 0, "bad_frames": 0, "dropped_ticks": 0}
        self._connected, self._detail = False, "not started"
        self._last_event_at: datetime | None = None
        self._last_frame = 0.0  # loop time of the last frame of any kind
        self._bad_reported = -BAD_REPORT_EVERY_S
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    # --- public -------------------------------------------------------------------
    async def events(self) -> AsyncIterator[MarketEvent]:
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._run(), name=f"feed:{self.name}")
            self._task.add_done_callback(self._on_task_done)
        while (event := await self._queue.get()) is not None:
            yield event

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._close_socket()
        if self._session is not None:
            await self._session.close()
        self._connected = False
        self._queue.put_nowait(None)

    def status(self) -> FeedStatus:
        counts = self._counts | {"late_candles": self._closer.late}
        text = " ".join(f"{k}={v}" for k, v in counts.items())
        return FeedStatus(
            self.name, self._connected, self._last_event_at, self._stale_after_s,
            f"{text}; {self._detail}",
        )  # fmt: skip

    # --- connection supervisor ------------------------------------------------------
    async def _run(self) -> None:
        failures, reason = 0, ""  # reason stays "" until the first connection is made
        while True:
            try:
                await self._open()
                backfilled = await self._backfill() if reason else 0
            except Exception as exc:  # Upbit unreachable or refusing: retry later
                log.warning("%s: connect failed: %r", self.name, exc)
                await self._close_socket()
                self._detail = f"connect failed: {exc!r}"
                await asyncio.sleep(self._backoff.delay(failures))
                failures += 1
                continue
            if reason:
                self._report_reconnect(reason, failures, backfilled)
            self._connected, self._detail, failures = True, "streaming", 0
            assert self._ws is not None
            reason = await self._consume(self._ws)
            self._connected, self._detail = False, f"reconnecting after {reason}"
            await self._close_socket()
            await asyncio.sleep(self._backoff.delay(0))

    async def _open(self) -> None:
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

    async def _consume(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        """Read the socket until it must be replaced; returns why."""
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

    def _put_tick(self, tick: Tick) -> None:
        if self._queue.qsize() >= self._max_tick_backlog:
            self._counts["dropped_ticks"] += 1  # the consumer is behind; candles still go in
            return
        self._queue.put_nowait(tick)

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

    # --- reporting ------------------------------------------------------------------
    def _bad(self, reason: str) -> None:
        self._report_bad(bad_data_event(self.name, self._clock.now(), reason, {}))

    def _report_bad(self, event: SafetyEvent) -> None:
        """Every bad frame is counted and logged; a safety event says so at most every
        BAD_REPORT_EVERY_S, with the count, so garbage cannot flood the journal."""
        self._counts["bad_frames"] += 1
        log.warning("%s: dropped frame: %s", self.name, event.message)
        now = asyncio.get_running_loop().time()
        if now - self._bad_reported >= BAD_REPORT_EVERY_S:
            self._bad_reported = now
            total = self._counts["bad_frames"]
            self._safety(replace(event, message=f"{event.message} ({total} dropped so far)"))

    def _report_reconnect(self, reason: str, failures: int, backfilled: int) -> None:
        self._counts["reconnects"] += 1
        self._safety(
            SafetyEvent(
                ts=self._clock.now(),
                severity=Severity.WARNING,
                kind=SafetyKind.FEED_RECONNECT,
                message=f"{self.name}: reconnected after {reason}; backfilled {backfilled} candles",
                data={"reason": reason, "failed_attempts": failures, "backfilled": backfilled},
            )
        )

    def _safety(self, event: SafetyEvent) -> None:
        if self._on_safety is None:
            return
        try:
            self._on_safety(event)
        except Exception:  # a broken listener must not take the feed down
            log.exception("%s: safety listener failed", self.name)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        self._connected, self._detail = False, f"failed: {exc!r}"
        message = f"{self.name}: feed stopped: {exc!r}"
        self._safety(SafetyEvent(self._clock.now(), Severity.CRITICAL, SafetyKind.FEED_FAILED,
                                 message))  # fmt: skip
        self._queue.put_nowait(None)
