"""BinanceFeed: closed klines and ticks over one combined stream, with the robustness
python-binance leaves to its users. Spot ticks come from bookTicker; USD-M futures ticks
from markPrice@1s on the /market stream base (bookTicker lives on /public there).

python-binance's socket reconnects on its own, but silently: nothing can backfill what
was missed, a silent connection is never noticed, and a queue overflow ends the socket
for good. So each socket is told not to reconnect (MAX_RECONNECTS = 0); any error
dict, ReadLoopClosed, serverShutdown or stale stream makes us close it (__aexit__) and
open a new one after an exponential backoff with jitter, then backfill missed closed
klines over REST from the last open time we emitted. Candles are deduplicated by open
time, so a reconnect leaves neither a gap nor a duplicate. Frames are drained at once
into our own queue; consumers never slow the socket down.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

from binance.exceptions import ReadLoopClosed

from tui_trader.binance.aio import cancel_and_wait
from tui_trader.binance.client import ClientSpec, close_client
from tui_trader.binance.klines import missed_klines
from tui_trader.binance.parse import ParseError, parse_book_ticker, parse_kline, parse_mark_price
from tui_trader.clock import Clock
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle
from tui_trader.market.stream_feed import StreamFeed
from tui_trader.resilience.retry import RECONNECT, Backoff

log = logging.getLogger(__name__)
SafetyListener = Callable[[SafetyEvent], None]
BadDataListener = Callable[[str], None]


# Binance closes stream connections at 24 h; we rotate a little earlier, on our terms.
MAX_CONNECTION_S = 23.5 * 3600


class BinanceFeed(StreamFeed):
    def __init__(
        self,
        spec: ClientSpec,
        symbols: Sequence[str],
        interval: str = "1m",
        *,
        clock: Clock,
        name: str = "binance",
        on_safety: SafetyListener | None = None,
        on_bad_data: BadDataListener | None = None,
        max_queue_size: int = 1000,
        stale_after_s: float = 10.0,
        book_stale_after_s: float | None = 60.0,
        backoff: Backoff | None = None,
        socket_poll_s: float = 1.0,
        max_tick_backlog: int = 10_000,
        market: MarketKind = MarketKind.SPOT,
        max_connection_s: float = MAX_CONNECTION_S,
    ) -> None:
        """`book_stale_after_s` bounds the silence of the tick stream (None: unwatched);
        `max_connection_s` replaces a connection before Binance drops it at 24 h."""
        backoff = backoff or RECONNECT
        super().__init__(name, clock, on_safety, backoff, stale_after_s, max_tick_backlog)
        self._market, self._spec, self._interval = market, spec, interval
        self._symbols = tuple(s.upper() for s in symbols)
        self._on_bad_data = on_bad_data
        self._max_queue_size, self._poll_s = max_queue_size, socket_poll_s
        # Klines push every 1-2 s; a quiet book may legitimately say nothing for longer.
        ticks = "markPrice@1s" if market is MarketKind.FUTURES else "bookTicker"
        self._limits: dict[str, float] = {
            f"{s.lower()}@kline_{interval}": stale_after_s for s in self._symbols
        }
        if book_stale_after_s is not None:
            self._limits |= {f"{s.lower()}@{ticks}": book_stale_after_s for s in self._symbols}
        self._max_connection_s = max_connection_s
        self._streams = [
            f"{s.lower()}@{kind}" for s in self._symbols for kind in (f"kline_{interval}", ticks)
        ]
        self._last_open: dict[str, datetime] = {}
        self._last_seen: dict[str, float] = {}
        self._client: Any = None
        self._sock: Any = None

    # --- the connection (the supervisor is StreamFeed's) --------------------------
    async def _stop(self, task: asyncio.Task[None]) -> None:
        await cancel_and_wait(task)

    async def _release(self) -> None:
        await self._close_socket()
        if self._client is not None:
            with suppress(Exception):
                await close_client(self._client)

    async def _connect(self) -> None:
        if self._client is None:
            self._client = await self._spec.create()
        await self._open(self._client)

    async def _open(self, client: Any) -> None:
        # A fresh manager each time: it caches sockets by path, and must never hand back
        # an old one whose close did not finish.
        manager = self._spec.socket_manager(client, self._max_queue_size)
        if self._market is MarketKind.FUTURES:
            sock = manager.futures_multiplex_socket(self._streams, category="market")
        else:
            sock = manager.multiplex_socket(self._streams)
        sock.MAX_RECONNECTS = 0  # we reconnect ourselves, so that we can backfill
        sock.TIMEOUT = self._poll_s  # bounds how long __aexit__ waits for its read loop
        self._sock = sock  # recorded before connecting, so that a failure is cleaned up
        await sock.__aenter__()

    async def _close_socket(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with suppress(Exception):
                await asyncio.wait_for(sock.__aexit__(None, None, None), self._poll_s * 3 + 1)

    async def _consume(self) -> str:
        """Drain the socket until it must be replaced; returns why."""
        tasks = {asyncio.create_task(self._pump(self._sock)), asyncio.create_task(self._watch())}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            return done.pop().result()
        finally:
            for task in tasks:
                await cancel_and_wait(task)

    async def _pump(self, sock: Any) -> str:
        loop_time = asyncio.get_running_loop().time
        while True:
            try:
                msg = await sock.recv()
            except ReadLoopClosed:
                return "read loop closed"
            if not isinstance(msg, dict):
                self._bad(f"frame is not an object: {type(msg).__name__}")
                continue
            if msg.get("e") == "error":  # python-binance's control message: socket is gone
                return f"{msg.get('type')}: {msg.get('m')}"
            stream, data = msg.get("stream"), msg.get("data")
            if not isinstance(stream, str) or not isinstance(data, dict):
                self._bad("frame is not a combined-stream envelope")
                continue
            if data.get("e") == "serverShutdown":
                return "serverShutdown announced"
            self._last_seen[stream] = loop_time()
            self._on_data(stream, data)

    async def _watch(self) -> str:
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            await asyncio.sleep(min(min(self._limits.values()), self._max_connection_s) / 4)
            now = loop.time()
            if now - started >= self._max_connection_s:  # planned: reconnect + backfill
                return f"rotating the connection after {now - started:.0f}s (24 h limit)"
            for stream, limit in self._limits.items():
                silent = now - max(self._last_seen.get(stream, started), started)
                if silent > limit:
                    return f"stale stream {stream} (silent {silent:.1f}s)"

    # --- frames → events ------------------------------------------------------------
    def _on_data(self, stream: str, data: dict[str, Any]) -> None:
        now = self._last_event_at = self._clock.now()
        try:
            if stream.endswith("@bookTicker"):
                self._put_tick(parse_book_ticker(data, now))
            elif stream.endswith("@markPrice@1s"):
                self._put_tick(parse_mark_price(data))
            elif "@kline_" in stream:
                candle = parse_kline(data)
                if candle.closed:
                    self._put_candle(candle)
            else:
                self._bad(f"unexpected stream {stream}")
        except ParseError as exc:
            self._bad(str(exc))

    def _put_candle(self, candle: Candle) -> bool:
        last = self._last_open.get(candle.symbol)
        if last is not None and candle.open_time <= last:
            return False  # already emitted (backfill and stream overlap, or a replay)
        self._last_open[candle.symbol] = candle.open_time
        self._queue.put_nowait(candle)
        return True

    async def _backfill(self) -> int:
        """Emit the closed klines missed since the last one we emitted, per symbol."""
        count = 0
        for symbol in self._symbols:
            last = self._last_open.get(symbol)
            if last is None:
                continue
            now = self._clock.now()
            missed = await missed_klines(
                self._client, symbol, self._interval, last, now, self._bad, self._market
            )
            for candle in missed:
                if self._put_candle(candle):
                    count += 1
        return count

    # --- reporting ------------------------------------------------------------------
    def _bad(self, reason: str) -> None:
        self._counts["bad_frames"] += 1
        log.warning("%s: dropped frame: %s", self.name, reason)
        if self._on_bad_data is not None:
            try:
                self._on_bad_data(reason)
            except Exception:  # a broken listener must not take the feed down
                log.exception("%s: bad-data listener failed", self.name)
