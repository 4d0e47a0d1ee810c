"""When the US stock market is open, from Alpaca's own calendar.

Alpaca's `GET /v2/calendar` lists the trading days with their regular open and close in
New York time (`{"date": "2026-11-27", "open": "09:30", "close": "13:00"}`): weekends
and holidays are simply absent, early closes have an earlier close. That is the only
honest source: a hand-kept holiday table goes wrong the first time the exchange adds a
day of mourning. `MarketHours` is a plain synchronous object built from those rows, so
its answers are deterministic and tests build one from a literal calendar; the async
shell (hours_fetch.py) fetches it and builds a new one every day.

Who asks: the feed (no bars are expected while the market is closed, so silence then is
no reason to cry "stale" nor to ask REST for what cannot exist), and the order side
(equity orders refused while closed). Outside the fetched range nothing is known:
`known(t)` says so and callers pick the safe answer for their own question."""

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")


class CalendarError(ValueError):
    """A calendar row that is not what Alpaca sends."""


@dataclass(frozen=True, slots=True)
class Session:
    """One trading day's regular hours, in UTC: [open, close)."""

    day: date
    open: datetime
    close: datetime


def session_of(row: Mapping[str, object]) -> Session:
    """One row of Alpaca's calendar (New York times) as a Session in UTC."""
    try:
        day = date.fromisoformat(str(row["date"]))
        opens, closes = (time.fromisoformat(str(row[k])) for k in ("open", "close"))
    except (KeyError, ValueError) as exc:
        raise CalendarError(f"calendar row not understood ({exc}): {str(row)[:80]}") from None
    opened = datetime.combine(day, opens, NEW_YORK)
    closed = datetime.combine(day, closes, NEW_YORK)
    if closed <= opened:
        raise CalendarError(f"calendar row closes before it opens: {str(row)[:80]}")
    return Session(day, opened.astimezone(UTC), closed.astimezone(UTC))


class MarketHours:
    """The sessions of the days from `first` to `last` (inclusive), as fetched."""

    def __init__(self, sessions: Iterable[Session], first: date, last: date) -> None:
        self._sessions = sorted(sessions, key=lambda s: s.open)
        self._opens = [s.open for s in self._sessions]
        self.first, self.last = first, last

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, object]], first: date, last: date
    ) -> "MarketHours":
        return cls((session_of(row) for row in rows), first, last)

    def known(self, t: datetime) -> bool:
        """Is `t` inside the fetched calendar (in New York's days)?"""
        return self.first <= t.astimezone(NEW_YORK).date() <= self.last

    def session_at(self, t: datetime) -> Session | None:
        """The session open at `t`, if any."""
        i = bisect_right(self._opens, t) - 1
        if i >= 0 and t < self._sessions[i].close:
            return self._sessions[i]
        return None

    def is_open(self, t: datetime) -> bool:
        return self.session_at(t) is not None

    def next_open(self, t: datetime) -> datetime | None:
        """The first open after `t` (None: beyond the fetched calendar)."""
        i = bisect_right(self._opens, t)
        return self._sessions[i].open if i < len(self._sessions) else None

    def next_close(self, t: datetime) -> datetime | None:
        """The close of the session open at `t`, else of the next one."""
        if (now := self.session_at(t)) is not None:
            return now.close
        i = bisect_right(self._opens, t)
        return self._sessions[i].close if i < len(self._sessions) else None

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """How long the market was open within [start, end)."""
        total = 0.0
        for session in self._sessions:
            lo, hi = max(start, session.open), min(end, session.close)
            if lo < hi:
                total += (hi - lo).total_seconds()
        return total

    def open_between(self, start: datetime, end: datetime) -> bool:
        """Was the market open at any moment of [start, end)? Outside the calendar it
        may have been: True, so a gap there is still looked for."""
        if not (self.known(start) and self.known(end)):
            return True
        return self.open_seconds(start, end) > 0

    def start_for(self, end: datetime, seconds: float) -> datetime:
        """The latest start such that [start, end) holds `seconds` of open market (the
        calendar's first day when it holds fewer): where a warm-up's history begins."""
        wanted = seconds
        for session in reversed(self._sessions):
            if session.open >= end:
                continue
            held = (min(end, session.close) - session.open).total_seconds()
            if held >= wanted:
                return min(end, session.close) - timedelta(seconds=wanted)
            wanted -= held
        return datetime.combine(self.first, time(), NEW_YORK).astimezone(UTC)

    def describe(self, t: datetime) -> str:
        """One line for the feed's status: `open until 21:00 UTC` or `closed; opens ...`."""
        if (session := self.session_at(t)) is not None:
            return f"market open until {session.close:%H:%M} UTC"
        opens = self.next_open(t)
        return f"market closed; opens {opens:%a %H:%M} UTC" if opens else "market closed"
