"""The async shell around MarketHours (hours.py): fetch Alpaca's calendar from the trading
API (`GET /v2/calendar`, with the key headers; the paper endpoint serves it too) and keep
a fresh one. `HoursKeeper.hours` is always a complete MarketHours; `refresh_due` builds a
new one once a day (in the background, never holding up its caller), and a failed
refresh keeps the old one and says so, since a calendar a day old is still right.

Plain aiohttp: two GETs of JSON with two headers; nothing to sign, nothing the SDK would
parse better (its calendar model holds the times as naive datetimes in New York)."""

import asyncio
import logging
from datetime import date, datetime, timedelta

import aiohttp

from tui_trader.alpaca.errors import KEYS_HINT, AlpacaBusy, AlpacaError, AlpacaKeysRefused
from tui_trader.alpaca.hours import NEW_YORK, CalendarError, MarketHours
from tui_trader.alpaca.keys import AlpacaKeys
from tui_trader.clock import Clock

log = logging.getLogger(__name__)
TRADING_API = "https://paper-api.alpaca.markets"
PAST_DAYS, AHEAD_DAYS = 30, 14  # the calendar fetched around today
REFRESH_EVERY = timedelta(hours=24)


def key_headers(keys: AlpacaKeys) -> dict[str, str]:
    return {"APCA-API-KEY-ID": keys.key_id, "APCA-API-SECRET-KEY": keys.secret}


async def fetch_hours(
    trading_url: str, keys: AlpacaKeys, today: date, timeout_s: float = 10.0
) -> MarketHours:
    """The calendar from PAST_DAYS before `today` to AHEAD_DAYS after it."""
    first, last = today - timedelta(days=PAST_DAYS), today + timedelta(days=AHEAD_DAYS)
    query = {"start": first.isoformat(), "end": last.isoformat()}
    rows = await get_json(trading_url, "/v2/calendar", keys, timeout_s, query)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise AlpacaError(f"Alpaca's calendar is not a list of days: {str(rows)[:80]}")
    try:
        return MarketHours.from_rows(rows, first, last)
    except CalendarError as exc:
        raise AlpacaError(str(exc)) from None


async def get_json(
    base: str, path: str, keys: AlpacaKeys, timeout_s: float, query: dict[str, str] | None = None
) -> object:
    """One GET on an Alpaca API; AlpacaError (or a subclass) saying why it failed."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(base + path, params=query, headers=key_headers(keys)) as reply,
    ):
        if reply.status in (401, 403):
            raise AlpacaKeysRefused(f"Alpaca refused the keys (HTTP {reply.status}); {KEYS_HINT}")
        if reply.status == 429 or reply.status >= 500:
            raise AlpacaBusy(f"Alpaca is busy (HTTP {reply.status} on {path})")
        if reply.status != 200:
            raise AlpacaError(f"Alpaca error (HTTP {reply.status} on {path})")
        try:
            return await reply.json(content_type=None)
        except ValueError:
            raise AlpacaError(f"a reply from Alpaca that is not JSON ({path})") from None


class HoursKeeper:
    """The market hours now, refreshed daily from Alpaca."""

    def __init__(
        self, hours: MarketHours, trading_url: str, keys: AlpacaKeys, clock: Clock
    ) -> None:
        self.hours, self._url, self._keys, self._clock = hours, trading_url, keys, clock
        self._fetched_at = clock.now()
        self._task: asyncio.Task[None] | None = None
        self.last_error = ""

    def is_open(self, t: datetime) -> bool:
        """Is the market open at `t`? What the order side asks before a stock order."""
        return self.hours.is_open(t)

    def next_open(self, t: datetime) -> datetime | None:
        return self.hours.next_open(t)

    def refresh_due(self) -> None:
        """Start a refresh when the calendar is a day old (and none is running)."""
        now = self._clock.now()
        if now - self._fetched_at < REFRESH_EVERY or self._task is not None:
            return
        self._task = asyncio.create_task(self._refresh(now), name="alpaca:calendar")

    async def _refresh(self, now: datetime) -> None:
        try:
            self.hours = await fetch_hours(self._url, self._keys, now.astimezone(NEW_YORK).date())
            self._fetched_at, self.last_error = now, ""
        except Exception as exc:  # the old calendar stays; tried again in an hour
            self.last_error = f"calendar refresh failed: {exc}"
            self._fetched_at = now - REFRESH_EVERY + timedelta(hours=1)
            log.warning("alpaca: %s", self.last_error)
        finally:
            self._task = None

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
