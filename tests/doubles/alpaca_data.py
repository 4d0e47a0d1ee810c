"""Alpaca's market data API on 127.0.0.1: `GET /v2/stocks/bars` (the path alpaca-py's
StockHistoricalDataClient.get_stock_bars calls) in Alpaca's wire format, `{"bars":
{"AAPL": [{"t", "o", "h", "l", "c", "v", "n", "vw"}]}, "next_page_token": ...}`.

What it keeps of the real API: the APCA-API-KEY-ID / APCA-API-SECRET-KEY headers are
checked (401 `{"message": "forbidden."}` otherwise); bars only in market hours (14:30 to
21:00 UTC on weekdays that are not `holidays`: daylight saving and early closes left
out); `start`/`end` inclusive; at most min(`limit`, `page_size`) bars a page with an
opaque `next_page_token`; the forming bar is sent (the client must drop it); and faults
on request: 429, 500, malformed JSON. Fake keys only."""

import base64
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from aiohttp import web

from tests.doubles.upbit_quotation import serve

KEY_ID, SECRET = "test-key-id", "test-secret-key"
OPEN, CLOSE = time(14, 30), time(21, 0)
STEPS = {"1Min": 1, "5Min": 5, "15Min": 15, "30Min": 30, "1Hour": 60}


def price_at(minute: int) -> Decimal:
    """A stock price path in cents around $180."""
    return Decimal(18_000 + (minute * 7919) % 97 * 3 - 144) / 100


def market_bars(
    start: datetime, end: datetime, minutes: int, closed: set[date]
) -> Iterator[datetime]:
    """Open times in [start, end] of the bars a trading session has."""
    step = timedelta(minutes=minutes)
    day = start.date()
    while day <= end.date():
        if day.weekday() < 5 and day not in closed:
            opened = datetime.combine(day, OPEN, UTC)
            opened -= timedelta(minutes=opened.minute % minutes)  # 1Hour: the 14:00 bar
            while opened < datetime.combine(day, CLOSE, UTC):
                if start <= opened <= end:
                    yield opened
                opened += step
        day += timedelta(days=1)


@dataclass
class AlpacaData:
    now: datetime  # the double's clock: the bar holding it is still forming
    holidays: set[date] = field(default_factory=set)
    page_size: int = 10_000  # Alpaca's maximum; tests page sooner
    faults: dict[int, str] = field(default_factory=dict)  # request number -> fault
    requests: list[dict[str, str]] = field(default_factory=list)

    def bar(self, opened: datetime, minutes: int) -> dict[str, object]:
        first = int(opened.timestamp() // 60)
        prices = [price_at(m) for m in range(first, first + minutes)]
        return {
            "t": opened.strftime("%Y-%m-%dT%H:%M:%SZ"), "o": float(prices[0]),
            "h": float(max(prices) + Decimal("0.05")), "l": float(min(prices) - Decimal("0.05")),
            "c": float(prices[-1]), "v": 1200 + first % 50, "n": 40 + first % 7,
            "vw": float(prices[0]),
        }  # fmt: skip

    async def bars(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.query))
        fault = self.faults.get(len(self.requests))
        if (request.headers.get("APCA-API-KEY-ID"), request.headers.get("APCA-API-SECRET-KEY")) != (
            KEY_ID, SECRET,
        ):  # fmt: skip
            return web.json_response({"message": "forbidden."}, status=401)
        if fault == "429":
            return web.json_response({"message": "too many requests."}, status=429)
        if fault == "500":
            return web.json_response({"message": "internal server error"}, status=500)
        if fault == "malformed":
            return web.Response(text='{"bars": {"AAPL": [', content_type="application/json")
        return web.json_response(self.page(request.query))

    def page(self, query: "dict[str, str] | web.MultiDictProxy[str]") -> dict[str, object]:
        symbol, minutes = query["symbols"], STEPS[query["timeframe"]]
        start = datetime.fromisoformat(query["start"])
        end = min(datetime.fromisoformat(query["end"]), self.now)
        times = list(market_bars(start, end, minutes, self.holidays))
        token = query.get("page_token")
        skip = int(base64.b64decode(token)) if token else 0
        size = min(int(query.get("limit", self.page_size)), self.page_size)
        rows = [self.bar(t, minutes) for t in times[skip : skip + size]]
        more = skip + size < len(times)
        return {
            "bars": {symbol: rows} if rows else {},
            "next_page_token": base64.b64encode(str(skip + size).encode()).decode()
            if more
            else None,
        }

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v2/stocks/bars", self.bars)
        return app


def alpaca_data(double: AlpacaData) -> AbstractAsyncContextManager[str]:
    """The double's base URL while it runs."""
    return serve(double.app())
