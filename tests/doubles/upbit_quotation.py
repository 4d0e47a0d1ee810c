"""Upbit's quotation API on 127.0.0.1: candle pages in Upbit's JSON shape (newest first,
at most `count` strictly before `to`, no candle for a minute without trades), the
`Remaining-Req` header, a `Date` header at the double's own clock, and the venue's faults
on request: 429 and 5xx (then normal), 418, an error body, malformed JSON, bad numbers.
`/v1/orderbook/instruments` gives each listed market's price unit (`tick_size`), or for
each entry of `instrument_faults` (one per request) a reply Upbit would not send:
"garbage" (200, not JSON) or "error" (Upbit's error body)."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web

UNITS = {"1": 1, "3": 3, "5": 5, "15": 15, "30": 30, "60": 60, "240": 240}


def price_at(minute: int) -> int:
    """A KRW price path in whole won (Upbit's KRW-BTC ticks are 1,000 won)."""
    return 90_000_000 + ((minute * 7919) % 97 - 48) * 1000


@dataclass
class UpbitQuotation:
    now: datetime  # the double's clock: no candle closes after it
    quiet: set[datetime] = field(default_factory=set)  # minutes without a trade
    faults: dict[int, str] = field(default_factory=dict)  # request number -> fault
    requests: list[dict[str, str]] = field(default_factory=list)
    markets: dict[str, str] = field(
        default_factory=lambda: {"KRW-BTC": "1000", "KRW-ETH": "1000"}
    )  # listed markets and their tick sizes
    instrument_faults: list[str] = field(default_factory=list)

    def candle(self, market: str, opened: datetime, minutes: int) -> dict[str, object]:
        first = int(opened.timestamp() // 60)
        prices = [price_at(m) for m in range(first, first + minutes)]
        return {
            "market": market,
            "candle_date_time_utc": opened.strftime("%Y-%m-%dT%H:%M:%S"),
            "candle_date_time_kst": (opened + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M:%S"),
            "opening_price": prices[0], "high_price": max(prices) + 1000,
            "low_price": min(prices) - 1000, "trade_price": prices[-1],
            "timestamp": int(opened.timestamp() * 1000) + 59_000,
            "candle_acc_trade_price": 123456789.12345678,
            "candle_acc_trade_volume": 1.37 + (first % 5) / 100, "unit": minutes,
        }  # fmt: skip

    async def candles(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.query))
        number = len(self.requests)
        headers = {"Remaining-Req": f"group=candles; min=1799; sec={9 - number % 10}",
                   "Date": format_datetime(self.now, usegmt=True)}  # fmt: skip
        fault = self.faults.get(number)
        if fault == "429":
            return web.json_response({"error": {"name": "too_many_requests"}}, status=429,
                                     headers=headers)  # fmt: skip
        if fault == "500":
            return web.Response(status=502, text="<html>bad gateway</html>", headers=headers)
        if fault == "418":
            return web.Response(status=418, text="", headers=headers)
        if fault == "error":
            body = {"error": {"name": "invalid_parameter_market", "message": "no such market"}}
            return web.json_response(body, status=404, headers=headers)
        if fault == "malformed":
            return web.Response(text="[{", content_type="application/json", headers=headers)
        unit = UNITS[request.match_info.get("unit", "1")]
        market = request.query["market"]
        to = datetime.fromisoformat(request.query["to"].replace("Z", "+00:00"))
        step = timedelta(minutes=unit)
        last = datetime.fromtimestamp(to.timestamp() // (unit * 60) * unit * 60, UTC)
        if last == to:
            last -= step
        rows = []
        opened = last
        while len(rows) < int(request.query["count"]) and opened >= to - 200 * step:
            if opened + step <= self.now + step and opened not in self.quiet:
                rows.append(self.candle(market, opened, unit))
            opened -= step
        if fault == "negative":
            rows[0]["low_price"] = -5
        return web.json_response(rows, headers=headers)  # newest first, as Upbit sends

    async def instruments(self, request: web.Request) -> web.Response:
        asked = request.query.get("markets", "").split(",")
        rows = [{"market": m, "quote_currency": m.split("-")[0], "tick_size": self.markets[m],
                 "supported_levels": ["0"]} for m in asked if m in self.markets]  # fmt: skip
        headers = {"Remaining-Req": "group=orderbook; min=1799; sec=9",
                   "Date": format_datetime(self.now, usegmt=True)}  # fmt: skip
        fault = self.instrument_faults.pop(0) if self.instrument_faults else None
        if fault == "garbage":
            return web.Response(text="<html>\x1b[31mmaintenance\x1b[0m\n</html>", headers=headers)
        if fault == "error":
            body = {"error": {"name": "invalid_parameter", "message": "잘못된 파라미터"}}
            return web.json_response(body, status=400, headers=headers)
        return web.json_response(rows, headers=headers)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/candles/minutes/{unit}", self.candles)
        app.router.add_get("/v1/orderbook/instruments", self.instruments)
        return app


@asynccontextmanager
async def serve(app: web.Application, port: int = 0) -> AsyncIterator[str]:
    """`app` on 127.0.0.1 (`port` 0: any free one); yields its base URL while it runs."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def upbit_quotation(double: UpbitQuotation) -> AbstractAsyncContextManager[str]:
    """The double's base URL while it runs."""
    return serve(double.app())
