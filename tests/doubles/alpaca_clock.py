"""Alpaca's trading API clock and calendar on 127.0.0.1 (`GET /v2/clock`, `GET
/v2/calendar`), in Alpaca's wire format: calendar rows `{"date", "open", "close",
"session_open", "session_close"}` in New York time, weekends and `holidays` absent,
`early` closes earlier. The key headers are checked (401 otherwise); faults on request
(the next replies): 429, 500. The same market hours as the bars double (alpaca_data.py):
14:30 to 21:00 UTC is 09:30 to 16:00 in New York in winter, so tests live in winter."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from aiohttp import web

from tests.doubles.alpaca_data import KEY_ID, SECRET
from tui_trader.alpaca.hours import NEW_YORK


@dataclass
class AlpacaClock:
    now: datetime
    holidays: set[date] = field(default_factory=set)
    early: dict[date, time] = field(default_factory=dict)  # day -> close (New York)
    faults: list[str] = field(default_factory=list)  # next replies: "429", "500"
    requests: list[str] = field(default_factory=list)

    def rows(self, first: date, last: date) -> list[dict[str, str]]:
        rows, day = [], first
        while day <= last:
            if day.weekday() < 5 and day not in self.holidays:
                close = self.early.get(day, time(16, 0))
                rows.append({"date": day.isoformat(), "open": "09:30",
                             "close": close.strftime("%H:%M"), "session_open": "0400",
                             "session_close": "2000"})  # fmt: skip
            day += timedelta(days=1)
        return rows

    def _refusal(self, request: web.Request) -> web.Response | None:
        self.requests.append(request.path)
        keys = request.headers.get("APCA-API-KEY-ID"), request.headers.get("APCA-API-SECRET-KEY")
        if keys != (KEY_ID, SECRET):
            return web.json_response({"message": "forbidden."}, status=401)
        if self.faults:
            fault = self.faults.pop(0)
            return web.json_response({"message": fault}, status=int(fault))
        return None

    async def calendar(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        first = date.fromisoformat(request.query["start"])
        last = date.fromisoformat(request.query["end"])
        return web.json_response(self.rows(first, last))

    async def clock(self, request: web.Request) -> web.Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        local = self.now.astimezone(NEW_YORK)
        days = self.rows(local.date(), local.date() + timedelta(days=10))
        at = [datetime.combine(date.fromisoformat(r["date"]), time.fromisoformat(r[k]), NEW_YORK)
              for r in days for k in ("open", "close")]  # fmt: skip
        is_open = any(o <= local < c for o, c in zip(at[::2], at[1::2], strict=True))
        return web.json_response({
            "timestamp": local.isoformat(), "is_open": is_open,
            "next_open": min(t for t in at[::2] if t > local).isoformat(),
            "next_close": min(t for t in at[1::2] if t > local).isoformat(),
        })  # fmt: skip

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/v2/calendar", self.calendar)
        app.router.add_get("/v2/clock", self.clock)
