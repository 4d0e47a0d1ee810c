"""Market streams of the Binance exchange double: raw (/ws/<stream>) and combined
(/stream?streams=a/b) connections, kline history for REST backfill, and the stream
faults (1001 drops, silence, serverShutdown, bursts, malformed frames)."""

import asyncio
import json
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

INTERVAL_MS = {
    "1s": 1000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}


@dataclass
class StreamConn:
    ws: web.WebSocketResponse
    streams: frozenset[str]
    combined: bool
    silent: bool = False


class StreamHub:
    def __init__(self, now_ms: Any, on_change: Any) -> None:
        self._now_ms, self._on_change = now_ms, on_change
        self.conns: list[StreamConn] = []
        self.connects = 0
        self.klines: dict[tuple[str, str], dict[int, list[Any]]] = {}
        self._book_seq = 0

    async def serve(
        self, request: web.Request, streams: list[str], combined: bool
    ) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=1.0)
        await ws.prepare(request)
        conn = StreamConn(ws, frozenset(streams), combined)
        self.conns.append(conn)
        self.connects += 1
        self._on_change()
        try:
            async for _ in ws:
                pass  # clients may send pongs or subscriptions; the double ignores them
        finally:
            with suppress(ValueError):
                self.conns.remove(conn)
        return ws

    async def _send(self, conn: StreamConn, text: str) -> None:
        if conn.silent or conn.ws.closed:
            return
        with suppress(ConnectionError, RuntimeError):
            await conn.ws.send_str(text)

    async def publish(self, stream: str, data: dict[str, Any]) -> None:
        raw = json.dumps(data)
        wrapped = json.dumps({"stream": stream, "data": data})
        for conn in list(self.conns):
            if stream in conn.streams:
                await self._send(conn, wrapped if conn.combined else raw)

    async def send_raw(self, text: str) -> None:
        """Any text to every connection (malformed frames)."""
        for conn in list(self.conns):
            await self._send(conn, text)

    async def push_kline(
        self,
        symbol: str,
        open_ms: int,
        ohlc: tuple[str, str, str, str],
        volume: str,
        closed: bool,
        interval: str,
    ) -> None:
        """Record the kline (REST sees it even while nobody is connected) and stream it."""
        close_ms = open_ms + INTERVAL_MS[interval] - 1
        o, h, low, c = ohlc
        row = [open_ms, o, h, low, c, volume, close_ms, "0", 1, "0", "0", "0"]
        self.klines.setdefault((symbol, interval), {})[open_ms] = row
        k = {
            "t": open_ms,
            "T": close_ms,
            "s": symbol,
            "i": interval,
            "f": 1,
            "L": 1,
            "o": o,
            "c": c,
            "h": h,
            "l": low,
            "v": volume,
            "n": 1,
            "x": closed,
            "q": "0",
            "V": "0",
            "Q": "0",
            "B": "0",
        }
        event = {"e": "kline", "E": self._now_ms(), "s": symbol, "k": k}
        await self.publish(f"{symbol.lower()}@kline_{interval}", event)

    def book_frame(self, symbol: str, bid: Decimal, ask: Decimal) -> dict[str, Any]:
        self._book_seq += 1
        return {
            "u": self._book_seq,
            "s": symbol,
            "b": f"{bid:.8f}",
            "B": "1.00000000",
            "a": f"{ask:.8f}",
            "A": "1.00000000",
        }

    def mark_frame(self, symbol: str, mark: Decimal) -> dict[str, Any]:
        """A USD-M markPrice update (`<s>@markPrice@1s`)."""
        now = self._now_ms()
        return {
            "e": "markPriceUpdate",
            "E": now,
            "s": symbol,
            "p": f"{mark:.8f}",
            "ap": f"{mark:.8f}",
            "P": f"{mark:.8f}",
            "i": f"{mark:.8f}",
            "st": 1,
            "r": "0.00010000",
            "T": now - now % 28_800_000 + 28_800_000,
        }

    def kline_rows(
        self, symbol: str, interval: str, start: int, end: int, limit: int
    ) -> list[list[Any]]:
        rows = self.klines.get((symbol, interval), {})
        return [rows[t] for t in sorted(rows) if start <= t <= end][:limit]

    async def drop(self, code: int) -> None:
        conns, self.conns = self.conns, []
        await asyncio.gather(*(c.ws.close(code=code, message=b"going away") for c in conns))

    def silence(self) -> None:
        """Current connections stay open but receive nothing more; new ones are fine."""
        for conn in self.conns:
            conn.silent = True

    async def server_shutdown(self) -> None:
        """Announce a shutdown (2026-05 event) without closing: clients should leave."""
        event = {"e": "serverShutdown", "E": self._now_ms()}
        for conn in list(self.conns):
            body = {"stream": "!serverShutdown", "data": event} if conn.combined else event
            await self._send(conn, json.dumps(body))
