"""Upbit's public WebSocket on 127.0.0.1, beside the quotation double (same server):
the request frame checked (ticket, types, codes, format), frames sent as binary JSON in
Upbit's shapes (ticker, candle.1m with the forming candle repeated), `PING` answered
with `{"status":"UP"}`, and the faults: drop every connection, go silent (no frames, no
answer to PING), malformed frames, error frames, duplicate and late candles (send an
old candle again).

`python -m tests.doubles.upbit_stream PORT` runs it on its own with a market that
moves every second (for trying the app by hand)."""

import asyncio
import json
import sys
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import WSMsgType, web

from tests.doubles.upbit_quotation import UpbitQuotation, price_at, serve


def ticker_frame(market: str, price: int, volume: str, ts: datetime) -> dict[str, object]:
    ms = int(ts.timestamp() * 1000)
    return {"type": "ticker", "code": market, "trade_price": price, "trade_volume": volume,
            "opening_price": price, "high_price": price, "low_price": price,
            "prev_closing_price": price, "change": "EVEN", "trade_timestamp": ms,
            "timestamp": ms, "stream_type": "REALTIME"}  # fmt: skip


def candle_frame(market: str, opened: datetime, final: bool = True) -> dict[str, object]:
    """The candle of `opened` as the stream sends it: `final` as REST has it once
    closed; otherwise an early version (same prices, less volume)."""
    row = UpbitQuotation(now=opened).candle(market, opened, 1)
    del row["market"], row["unit"]
    if not final:
        row["candle_acc_trade_volume"] = 0.5
    return {"type": "candle.1m", "code": market, **row, "stream_type": "REALTIME"}


@dataclass
class UpbitStream:
    silent: bool = False  # no frames and no answer to PING, the connection kept open
    requests: list[object] = field(default_factory=list)  # every request frame
    connects: int = 0
    pings: int = 0
    live: dict[web.WebSocketResponse, set[str]] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connects += 1
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            if msg.data == "PING":
                self.pings += 1
                if not self.silent:
                    await ws.send_bytes(b'{"status":"UP"}')
                continue
            await self._subscribe(ws, msg.data)
        self.live.pop(ws, None)
        return ws

    async def _subscribe(self, ws: web.WebSocketResponse, text: str) -> None:
        try:
            frames = json.loads(text)
            ticket = frames[0]["ticket"]
            kinds = {f["type"]: f["codes"] for f in frames[1:] if "type" in f}
            assert isinstance(ticket, str) and ticket and frames[-1] == {"format": "DEFAULT"}
            assert set(kinds) <= {"ticker", "candle.1m"}
            assert all(c == c.upper() and "-" in c for codes in kinds.values() for c in codes)
        except (ValueError, LookupError, TypeError, AssertionError):
            await self.error(ws, "WRONG_FORMAT", "request frame not understood")
            return
        self.requests.append(frames)
        self.live[ws] = {f"{kind}:{code}" for kind, codes in kinds.items() for code in codes}

    async def wait_subscribed(self, count: int) -> None:
        """Until `count` request frames were accepted in all (and one is live)."""
        async with asyncio.timeout(5):
            while len(self.requests) < count or not self.live:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    # --- what the market sends ----------------------------------------------------
    async def send(self, frame: dict[str, object]) -> None:
        key = f"{frame['type']}:{frame['code']}"
        await self.raw(json.dumps(frame).encode(), key)

    async def ticker(self, market: str, price: int, volume: str, ts: datetime) -> None:
        await self.send(ticker_frame(market, price, volume, ts))

    async def candle(self, market: str, opened: datetime, final: bool = True) -> None:
        await self.send(candle_frame(market, opened, final))

    # --- faults -----------------------------------------------------------------
    async def raw(self, data: bytes, key: str | None = None) -> None:
        """Bytes as they are, to every live connection (subscribed to `key`)."""
        if self.silent:
            return
        for ws, keys in list(self.live.items()):
            if key is None or key in keys:
                await ws.send_bytes(data)

    async def error(self, ws: web.WebSocketResponse, name: str, message: str) -> None:
        await ws.send_bytes(json.dumps({"error": {"name": name, "message": message}}).encode())

    async def error_all(self, name: str, message: str) -> None:
        for ws in list(self.live):
            await self.error(ws, name, message)

    async def drop(self) -> None:
        """Close every connection from the server's side."""
        for ws in list(self.live):
            self.live.pop(ws, None)
            await ws.close()


def upbit_venue(
    quotation: UpbitQuotation, stream: UpbitStream, port: int = 0
) -> AbstractAsyncContextManager[str]:
    """Both doubles on one 127.0.0.1 port; yields its `http://127.0.0.1:PORT`. The
    WebSocket is at `ws://127.0.0.1:PORT/websocket/v1`."""
    app = quotation.app()
    app.router.add_get("/websocket/v1", stream.handle)
    return serve(app, port)


def ws_url(api_url: str) -> str:
    return api_url.replace("http://", "ws://") + "/websocket/v1"


async def _serve(port: int) -> None:
    """A market that moves: each second a trade and the forming candle per market."""
    quotation, stream = UpbitQuotation(now=datetime.now(UTC)), UpbitStream()
    async with upbit_venue(quotation, stream, port) as url:
        print(f"upbit double on {url}", flush=True)
        await _move(quotation, stream)


async def _move(quotation: UpbitQuotation, stream: UpbitStream) -> None:
    while True:
        now = quotation.now = datetime.now(UTC)
        opened = now.replace(second=0, microsecond=0)
        for market in quotation.markets:
            price = price_at(int(opened.timestamp() // 60)) + (now.second % 7) * 1000
            await stream.ticker(market, price, "0.01", now)
            await stream.candle(market, opened, final=now.second >= 58)
        await asyncio.sleep(1 - (now - now.replace(microsecond=0)) / timedelta(seconds=1))


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
