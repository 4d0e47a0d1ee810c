"""Upbit's forming candles into closed ones (candles.py) and its frames (frames.py):
each candle closed once, in order, from the stream or REST, whichever comes first."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.domain.market import Tick, VenueBar
from tui_trader.upbit.candles import CandleCloser
from tui_trader.upbit.frames import CandleFrame, ErrorFrame, FrameError, StatusFrame, parse_frame

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
MARKETS = {"KRW-BTC": "BTCKRW"}


def upbit_candle(minute: int, close: int = 100, volume: str = "1") -> VenueBar:
    p = Decimal(close)
    return VenueBar(T0 + minute * MINUTE, p, p + 5, p - 5, p, Decimal(volume), Decimal(0))


def opens(candles: list) -> list[int]:  # type: ignore[type-arg]
    return [(c.open_time - T0) // MINUTE for c in candles]


def test_a_candle_closes_when_a_later_one_arrives_with_its_last_values() -> None:
    closer = CandleCloser("1m")
    assert closer.update("BTCKRW", upbit_candle(0, volume="1")) == []
    assert closer.update("BTCKRW", upbit_candle(0, close=103, volume="2")) == []  # repeats
    [closed] = closer.update("BTCKRW", upbit_candle(1))
    assert (closed.open_time, closed.close, closed.volume) == (T0, 103, 2)
    assert closed.closed and closed.close_time == T0 + MINUTE - timedelta(milliseconds=1)


def test_a_candle_closes_after_its_interval_and_grace_when_nothing_newer_comes() -> None:
    closer = CandleCloser("1m", grace=timedelta(seconds=3))
    closer.update("BTCKRW", upbit_candle(0))
    assert closer.due(T0 + MINUTE + timedelta(seconds=2)) == []
    assert opens(closer.due(T0 + MINUTE + timedelta(seconds=3))) == [0]
    assert closer.due(T0 + 5 * MINUTE) == []  # once


def test_duplicate_and_late_candles_are_dropped_and_counted() -> None:
    closer = CandleCloser("1m")
    closer.update("BTCKRW", upbit_candle(0))
    assert opens(closer.update("BTCKRW", upbit_candle(1))) == [0]
    assert closer.update("BTCKRW", upbit_candle(0)) == []  # already closed
    assert closer.update("ETHKRW", upbit_candle(0)) == []  # another symbol: its own
    assert closer.late == 1


def test_a_candle_known_from_the_warm_up_history_is_not_closed_again() -> None:
    closer = CandleCloser("1m")
    closer.known("BTCKRW", T0 + MINUTE)  # the history's last candle
    closer.update("BTCKRW", upbit_candle(1))  # the stream's late copy of it
    assert opens(closer.update("BTCKRW", upbit_candle(2))) == []
    assert opens(closer.update("BTCKRW", upbit_candle(3))) == [2] and closer.late == 1


def test_backfill_emits_what_closed_in_the_gap_and_keeps_the_forming_one() -> None:
    closer = CandleCloser("1m")
    closer.update("BTCKRW", upbit_candle(0))
    closer.update("BTCKRW", upbit_candle(1, volume="0.5"))  # forming when the drop came
    assert opens(closer.update("BTCKRW", upbit_candle(2))) == [1]
    rest = [upbit_candle(m, volume="9") for m in range(0, 6)]  # 5 still forming
    filled = closer.backfill("BTCKRW", rest, T0 + 5 * MINUTE + timedelta(seconds=20))
    assert opens(filled) == [2, 3, 4] and filled[0].volume == 9  # REST's, not the stream's
    assert opens(closer.update("BTCKRW", upbit_candle(6))) == [5]


def frame(text: str) -> object:
    return parse_frame(text.encode(), MARKETS, "1m")


def test_frames_read_as_ticks_candles_errors_and_status() -> None:
    tick = frame('{"type":"ticker","code":"KRW-BTC","trade_price":90000000.0,'
                 '"trade_volume":0.0012,"timestamp":1772442000000}')  # fmt: skip
    assert tick == Tick("BTCKRW", T0, Decimal("90000000.0"), Decimal("90000000.0"),
                        Decimal("90000000.0"), Decimal("0.0012"))  # fmt: skip
    candle = frame(
        '{"type":"candle.1m","code":"KRW-BTC","candle_date_time_utc":"2026-03-02T09:00:00",'
        '"opening_price":1,"high_price":2,"low_price":1,"trade_price":2,'
        '"candle_acc_trade_volume":3,"candle_acc_trade_price":6}'
    )
    assert isinstance(candle, CandleFrame) and candle.candle.open_time == T0
    assert frame('{"error":{"name":"INVALID_PARAM","message":"bad"}}') == ErrorFrame(
        "INVALID_PARAM", "bad"
    )
    assert frame('{"status":"UP"}') == StatusFrame("UP")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{nope", "not JSON"),
        ("[1, 2]", "not an object"),
        ('{"type":"ticker","code":"KRW-XRP","trade_price":1,"timestamp":1}', "unexpected market"),
        ('{"type":"ticker","code":"KRW-BTC","trade_price":"x","timestamp":1}', "unreadable ticker"),
        ('{"type":"trade","code":"KRW-BTC"}', "unexpected type"),
        ('{"type":"candle.1m","code":"KRW-BTC","opening_price":1}', "unexpected candle"),
    ],
)
def test_anything_else_is_a_frame_error(text: str, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        frame(text)
