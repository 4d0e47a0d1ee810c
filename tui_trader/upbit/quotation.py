"""Upbit's public quotation API (candles), on aiohttp: a thin adapter, no client library.

Why not a client library: the maintained Python client (pyupbit) is synchronous
(requests) and would block the event loop; the official one is generated code around
the same REST calls. Public quotation needs no signing, so a thin adapter over aiohttp
(already installed with python-binance) is all it takes; orders, when they come, add a
JWT library for Upbit's signed requests rather than hand-rolled signing.

Upbit's rules this module keeps:
- Candles come newest first, at most 200 per request, strictly before `to` (UTC).
  A minute without a trade has no candle: that is a gap, not an error.
- Every reply carries `Remaining-Req: group=candles; min=M; sec=S`; at S = 0 the next
  request waits for the next second. 429 (too_many_requests) waits and retries; 418
  means the IP is blocked for a while: stop and say so. An error reply is
  `{"error": {"name": ..., "message": ...}}`, reported as such.
- Prices and volumes are read as exact Decimals from the JSON text."""

import asyncio
import json
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

import aiohttp

from tui_trader.domain.market import VenueBar

API = "https://api.upbit.com"
PAGE = 200  # candles per request: Upbit's maximum
# Our interval names -> Upbit's candle path.
CANDLE_PATHS: Mapping[str, str] = {
    "1m": "minutes/1", "3m": "minutes/3", "5m": "minutes/5", "15m": "minutes/15",
    "30m": "minutes/30", "1h": "minutes/60", "4h": "minutes/240", "1d": "days",
}  # fmt: skip
QUOTES = ("KRW", "BTC", "USDT")
RETRIES = 5
read_json = partial(json.loads, parse_float=Decimal, parse_int=Decimal)


class UpbitError(Exception):
    """Upbit refused or answered something unusable; the message is for people."""


def market_code(symbol: str) -> str:
    """Our symbol (base + quote, BTCKRW) as Upbit's market code (KRW-BTC)."""
    for quote in QUOTES:
        base = symbol.removesuffix(quote)
        if base != symbol and base.isalnum() and base.isupper():
            return f"{quote}-{base}"
    raise UpbitError(f"symbol {symbol!r}: expected BASE + one of {', '.join(QUOTES)}, e.g. BTCKRW")


def parse_candle(row: Any, market: str, key: str = "market") -> VenueBar:
    """One candle of a reply, checked: Upbit's answer is input like any other. `key`
    names the market field: `market` in REST replies, `code` in WebSocket frames."""
    try:
        if row[key] != market:
            raise UpbitError(f"a candle of {row[key]!r} in a reply for {market}")
        opened = datetime.fromisoformat(row["candle_date_time_utc"]).replace(tzinfo=UTC)
        numbers = [Decimal(row[key]) for key in ("opening_price", "high_price", "low_price",
                   "trade_price", "candle_acc_trade_volume", "candle_acc_trade_price")]  # fmt: skip
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise UpbitError(f"unexpected candle from Upbit ({exc!r}): {str(row)[:120]}") from None
    o, h, low, c, volume, quote_volume = numbers
    if not all(n.is_finite() for n in numbers) or min(o, h, low, c) <= 0 or volume < 0:
        raise UpbitError(f"unusable candle from Upbit: {str(row)[:120]}")
    return VenueBar(opened, o, h, low, c, volume, quote_volume)


def remaining_per_second(header: str | None) -> int | None:
    """`group=candles; min=1799; sec=9` -> 9 (None when absent or unreadable)."""
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "sec" and value.isdigit():
            return int(value)
    return None


class Quotation:
    """One aiohttp session against Upbit's quotation API (or a local double)."""

    def __init__(self, base_url: str = API, timeout_s: float = 10.0, pause_s: float = 1.0):
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._pause_s = pause_s  # the wait after "no requests left this second" / a 429
        self._session: aiohttp.ClientSession | None = None
        self.server_time: datetime | None = None  # from the last reply's Date header

    async def __aenter__(self) -> "Quotation":
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def candles(self, symbol: str, interval: str, before: datetime) -> list[VenueBar]:
        """Up to PAGE candles opened before `before`, oldest first."""
        if interval not in CANDLE_PATHS:
            raise UpbitError(f"interval {interval!r}: Upbit has {', '.join(CANDLE_PATHS)}")
        market = market_code(symbol)
        to = before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = {"market": market, "to": to, "count": str(PAGE)}
        rows = await self._get(f"/v1/candles/{CANDLE_PATHS[interval]}", params)
        if not isinstance(rows, list):
            raise UpbitError(f"unexpected reply from Upbit: {str(rows)[:120]}")
        return sorted((parse_candle(row, market) for row in rows), key=lambda c: c.open_time)

    async def tick_sizes(self, symbols: tuple[str, ...]) -> dict[str, Decimal]:
        """Each symbol's price unit now (`/v1/orderbook/instruments`: Upbit's KRW units
        depend on the price, so this is the unit of the current price band)."""
        markets = {market_code(symbol): symbol for symbol in symbols}
        rows = await self._get("/v1/orderbook/instruments", {"markets": ",".join(markets)})
        try:
            found = {markets[row["market"]]: Decimal(row["tick_size"]) for row in rows}
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise UpbitError(f"unexpected instruments reply ({exc!r}): {str(rows)[:120]}") from None
        if not all(size.is_finite() and size > 0 for size in found.values()):
            raise UpbitError(f"unusable tick size from Upbit: {str(rows)[:120]}")
        return found

    async def _get(self, path: str, params: Mapping[str, str]) -> Any:
        assert self._session is not None, "use Quotation in `async with`"
        for attempt in range(RETRIES):
            async with self._session.get(self._base + path, params=params) as reply:
                self._note_date(reply.headers.get("Date"))
                text = await reply.text()
                if reply.status == 429 or reply.status >= 500:
                    await asyncio.sleep(self._pause_s * (attempt + 1))
                    continue
                if remaining_per_second(reply.headers.get("Remaining-Req")) == 0:
                    await asyncio.sleep(self._pause_s)
                return self._body(reply.status, text)
        raise UpbitError(f"Upbit kept refusing ({reply.status}) after {RETRIES} tries")

    @staticmethod
    def _body(status: int, text: str) -> Any:
        if status == 418:
            raise UpbitError("Upbit blocked this address for too many requests (418); wait")
        try:
            body = read_json(text)
        except ValueError:
            raise UpbitError(f"HTTP {status} from Upbit, not JSON: {text[:120]!r}") from None
        error = body.get("error") if isinstance(body, dict) else None
        if status != 200 or error is not None:
            name = error.get("name") if isinstance(error, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            raise UpbitError(f"Upbit error {name or status}: {message or text[:120]}")
        return body

    def _note_date(self, header: str | None) -> None:
        with suppress(TypeError, ValueError):  # an unreadable Date: keep the last one
            if header:
                self.server_time = parsedate_to_datetime(header).astimezone(UTC)

    def now(self) -> datetime:
        """The server's time when it said it (else ours): what is still forming."""
        return self.server_time or datetime.now(UTC)


def step_of(interval: str) -> timedelta:
    """How long one candle of `interval` (1m, 4h, 1d) lasts."""
    return timedelta(seconds={"m": 60, "h": 3600, "d": 86400}[interval[-1]] * int(interval[:-1]))


def close_of(candle: VenueBar, interval: str) -> datetime:
    return candle.open_time + step_of(interval)
