"""Alpaca's market data stream v2 (JSON mode) on 127.0.0.1, at `/v2/iex` and `/v2/sip`:
`[{"T":"success","msg":"connected"}]` on connect, the auth message checked against the
fake keys (`authenticated`, or `[{"T":"error","code":402,"msg":"auth failed"}]`),
subscriptions to minute bars answered with `{"T":"subscription",...}`, and minute bars
`{"T":"b","S","o","h","l","c","v","t","n","vw"}` sent to whoever subscribed.

Faults on request: drop every connection, go silent (nothing sent, the connection kept
open), refuse the keys, refuse with 406 connection limit exceeded (or any code), raw
frames (malformed), and any bar again (duplicate or late: the caller chooses the time).
`alpaca_venue` serves this with the bars (alpaca_data.py) and the clock and calendar
(alpaca_clock.py) doubles on one port.

`python -m tests.doubles.alpaca_stream PORT` runs all three on their own with a market
that sends each minute's bar (for trying the app by hand; keys: alpaca_data.KEY_ID)."""

import asyncio
import json
import sys
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from aiohttp import WSMsgType, web

from tests.doubles.alpaca_clock import AlpacaClock
from tests.doubles.alpaca_data import KEY_ID, SECRET, AlpacaData, price_at
from tests.doubles.upbit_quotation import serve


def bar_message(ticker: str, opened: datetime, price: Decimal | None = None) -> dict[str, object]:
    """The minute bar of `opened` (the bars double's price path unless `price`)."""
    close = price if price is not None else price_at(int(opened.timestamp() // 60))
    return {"T": "b", "S": ticker, "o": float(close), "h": float(close + Decimal("0.05")),
            "l": float(close - Decimal("0.05")), "c": float(close), "v": 1200, "n": 40,
            "vw": float(close), "t": opened.strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip


@dataclass
class AlpacaStream:
    silent: bool = False
    refuse: tuple[int, str] | None = None  # answer auth with this error (402 when keys wrong)
    connects: int = 0
    auths: int = 0
    subscriptions: list[list[str]] = field(default_factory=list)
    live: dict[web.WebSocketResponse, set[str]] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connects += 1
        await ws.send_str('[{"T":"success","msg":"connected"}]')
        authed = False
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            try:
                action = json.loads(msg.data)
                kind = action["action"]
            except (ValueError, KeyError, TypeError):
                await self._error(ws, 400, "invalid syntax")
                continue
            if kind == "auth":
                authed = await self._auth(ws, action)
                if not authed:
                    break
            elif kind == "subscribe" and authed:
                await self._subscribe(ws, action.get("bars", []))
            else:
                await self._error(ws, 401, "not authenticated")
        self.live.pop(ws, None)
        await ws.close()
        return ws

    async def _auth(self, ws: web.WebSocketResponse, action: dict[str, object]) -> bool:
        self.auths += 1
        if (action.get("key"), action.get("secret")) != (KEY_ID, SECRET):
            await self._error(ws, 402, "auth failed")
            return False
        if self.refuse is not None:
            await self._error(ws, *self.refuse)
            return False
        await ws.send_str('[{"T":"success","msg":"authenticated"}]')
        return True

    async def _subscribe(self, ws: web.WebSocketResponse, bars: list[str]) -> None:
        self.subscriptions.append(list(bars))
        self.live[ws] = set(bars)
        reply = {"T": "subscription", "trades": [], "quotes": [], "bars": sorted(bars)}
        await ws.send_str(json.dumps([reply]))

    async def _error(self, ws: web.WebSocketResponse, code: int, message: str) -> None:
        await ws.send_str(json.dumps([{"T": "error", "code": code, "msg": message}]))

    async def wait_subscribed(self, count: int) -> None:
        """Until `count` subscriptions were made in all (and one is live)."""
        async with asyncio.timeout(5):
            while len(self.subscriptions) < count or not self.live:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    # --- what the market sends ----------------------------------------------------
    async def bar(self, ticker: str, opened: datetime, price: Decimal | None = None) -> None:
        await self.raw(json.dumps([bar_message(ticker, opened, price)]), ticker)

    async def raw(self, text: str, ticker: str | None = None) -> None:
        """Text as it is, to every live connection (subscribed to `ticker`)."""
        if self.silent:
            return
        for ws, tickers in list(self.live.items()):
            if ticker is None or ticker in tickers:
                await ws.send_str(text)

    async def drop(self) -> None:
        """Close every connection from the server's side."""
        for ws in list(self.live):
            self.live.pop(ws, None)
            await ws.close()


@dataclass
class AlpacaVenue:
    """The three doubles of one Alpaca: the same `now` for the bars and the clock."""

    data: AlpacaData
    clock: AlpacaClock
    stream: AlpacaStream

    def at(self, now: datetime) -> None:
        self.data.now = self.clock.now = now

    def app(self) -> web.Application:
        app = self.data.app()
        self.clock.add_to(app)
        app.router.add_get("/v2/iex", self.stream.handle)
        app.router.add_get("/v2/sip", self.stream.handle)
        return app


def alpaca_venue(venue: AlpacaVenue, port: int = 0) -> AbstractAsyncContextManager[str]:
    """All three on one 127.0.0.1 port; yields `http://127.0.0.1:PORT` (the data and the
    trading API's base); the stream is `ws://127.0.0.1:PORT/v2` + `/iex`."""
    return serve(venue.app(), port)


def stream_base(url: str) -> str:
    return url.replace("http://", "ws://") + "/v2"


def new_venue(now: datetime, holidays: "set[date] | None" = None) -> AlpacaVenue:
    """The doubles at `now`, closed on `holidays` (both the bars and the calendar)."""
    closed = holidays or set()
    return AlpacaVenue(
        AlpacaData(now=now, holidays=closed), AlpacaClock(now=now, holidays=closed), AlpacaStream()
    )


async def _serve(port: int) -> None:
    """A market that trades: each minute's bar for every subscribed ticker, sent as the
    minute ends (and the last one at once to each new subscriber's first tick)."""
    venue = new_venue(datetime.now(UTC))
    async with alpaca_venue(venue, port) as url:
        print(f"alpaca double on {url}", flush=True)
        sent = None
        while True:
            now = datetime.now(UTC)
            venue.at(now)
            last = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
            tickers = {t for subscribed in venue.stream.live.values() for t in subscribed}
            if last != sent and tickers:
                for ticker in sorted(tickers):
                    await venue.stream.bar(ticker, last)
                sent = last
            await asyncio.sleep(0.5)


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
