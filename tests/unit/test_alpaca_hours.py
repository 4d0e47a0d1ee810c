"""MarketHours from a literal Alpaca calendar: weekends and holidays closed, an early
close honoured, New York's daylight saving turned into the right UTC hours, and the
answers the feed and the order side ask for (open now? next open and close? how much
open market in a span? where a warm-up's history starts?)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tui_trader.alpaca.hours import CalendarError, MarketHours, session_of

# Thanksgiving week 2026: Thursday 26 closed, Friday 27 closes at 13:00 New York.
ROWS = [
    {"date": "2026-11-23", "open": "09:30", "close": "16:00"},
    {"date": "2026-11-24", "open": "09:30", "close": "16:00"},
    {"date": "2026-11-25", "open": "09:30", "close": "16:00"},
    {"date": "2026-11-27", "open": "09:30", "close": "13:00"},
    {"date": "2026-11-30", "open": "09:30", "close": "16:00"},
]
HOURS = MarketHours.from_rows(ROWS, date(2026, 11, 23), date(2026, 11, 30))


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_regular_hours_in_winter_are_14_30_to_21_00_utc() -> None:
    assert not HOURS.is_open(utc(23, 14, 29))
    assert HOURS.is_open(utc(23, 14, 30)) and HOURS.is_open(utc(23, 20, 59))
    assert not HOURS.is_open(utc(23, 21))  # the close is not open


def test_a_holiday_is_closed_all_day_and_the_next_open_skips_it() -> None:
    assert not HOURS.is_open(utc(26, 16))
    assert HOURS.next_open(utc(25, 21)) == utc(27, 14, 30)
    assert HOURS.describe(utc(26, 16)) == "market closed; opens Fri 14:30 UTC"


def test_an_early_close_ends_the_session_at_13_00_new_york() -> None:
    assert HOURS.is_open(utc(27, 17, 59)) and not HOURS.is_open(utc(27, 18))
    assert HOURS.next_close(utc(27, 15)) == utc(27, 18)
    assert HOURS.describe(utc(27, 15)) == "market open until 18:00 UTC"


def test_the_weekend_is_closed_until_monday() -> None:
    saturday = utc(28, 15)
    assert not HOURS.is_open(saturday)
    assert HOURS.next_open(saturday) == utc(30, 14, 30)
    assert HOURS.next_close(saturday) == utc(30, 21)
    assert HOURS.open_seconds(utc(27, 17), utc(30, 15)) == 3600 + 1800
    assert not HOURS.open_between(utc(27, 18), utc(30, 14, 30))


def test_summer_time_moves_the_session_an_hour_earlier_in_utc() -> None:
    july = session_of({"date": "2026-07-01", "open": "09:30", "close": "16:00"})
    assert (july.open, july.close) == (utc(1, 13, 30, 7), utc(1, 20, 0, 7))


def test_outside_the_fetched_calendar_nothing_is_known() -> None:
    later = utc(2, 15, month=12)
    assert not HOURS.known(later) and HOURS.known(utc(30, 23))
    assert HOURS.next_open(later) is None
    assert HOURS.open_between(utc(30, 22), later)  # may have been open: look for a gap


def test_a_warm_up_start_counts_open_market_only() -> None:
    # 90 minutes before Monday 15:00: 30 on Monday, 60 on Friday's early session.
    assert HOURS.start_for(utc(30, 15), 90 * 60) == utc(27, 17)
    assert HOURS.start_for(utc(30, 15), 10**7) == datetime(2026, 11, 23, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "row",
    [{"date": "2026-11-23"}, {"date": "someday", "open": "09:30", "close": "16:00"},
     {"date": "2026-11-23", "open": "16:00", "close": "09:30"}],
)  # fmt: skip
def test_a_row_alpaca_does_not_send_is_refused(row: dict[str, str]) -> None:
    with pytest.raises(CalendarError):
        session_of(row)


def test_sessions_need_not_come_sorted() -> None:
    hours = MarketHours.from_rows(reversed(ROWS), date(2026, 11, 23), date(2026, 11, 30))
    assert hours.next_open(utc(23, 22)) == utc(24, 14, 30) == HOURS.next_open(utc(23, 22))
    assert hours.next_open(utc(23, 22)) - utc(23, 22) == timedelta(hours=16, minutes=30)
