"""BarCloser: Alpaca's minute bars into closed candles of the interval, each once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.alpaca.bar_closer import BarCloser
from tui_trader.domain.market import VenueBar

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def minute(at: int, price: str = "100") -> VenueBar:
    p = Decimal(price)
    return VenueBar(T0 + at * MINUTE, p, p + 1, p - 1, p, Decimal(10), p * 10, 3)


def test_one_minute_bars_close_as_they_come() -> None:
    closer = BarCloser("1m")
    [candle] = closer.add("AAPLUSD", minute(0))
    assert candle.open_time == T0 and candle.interval == "1m"
    assert closer.add("AAPLUSD", minute(0)) == [] and closer.late == 1


def test_a_fifteen_minute_candle_closes_on_its_last_minute_or_a_later_one() -> None:
    closer = BarCloser("15m")
    assert closer.add("AAPLUSD", minute(3, "100")) == []
    assert closer.add("AAPLUSD", minute(9, "104")) == []
    [candle] = closer.add("AAPLUSD", minute(14, "102"))  # its last minute
    assert (candle.open, candle.high, candle.low, candle.close) == (100, 105, 99, 102)
    assert (candle.volume, candle.close_time) == (30, T0 + 15 * MINUTE - timedelta(milliseconds=1))
    assert closer.add("AAPLUSD", minute(16)) == []
    [later] = closer.add("AAPLUSD", minute(31))  # a minute of a later candle
    assert later.open_time == T0 + 15 * MINUTE and later.volume == 10


def test_a_candle_without_its_last_minute_closes_after_the_grace() -> None:
    closer = BarCloser("15m", grace=timedelta(seconds=5))
    closer.add("AAPLUSD", minute(1))
    assert closer.due(T0 + 15 * MINUTE) == []
    [candle] = closer.due(T0 + 15 * MINUTE + timedelta(seconds=5))
    assert candle.open_time == T0


def test_the_warm_up_history_makes_its_candles_late_and_sets_the_resume_point() -> None:
    closer = BarCloser("15m")
    closer.known("AAPLUSD", T0)
    assert closer.resume_after("AAPLUSD") == T0 + 14 * MINUTE
    assert closer.add("AAPLUSD", minute(7)) == [] and closer.late == 1
    closer.add("AAPLUSD", minute(16))
    assert closer.resume_after("AAPLUSD") == T0 + 16 * MINUTE
    assert closer.resume_after("MSFTUSD") is None
