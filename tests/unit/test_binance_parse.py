"""Market frames → Candle / Tick, with Binance's documented payloads."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.binance.parse import (
    ParseError,
    ms_to_utc,
    parse_book_ticker,
    parse_kline,
    parse_kline_row,
    parse_mark_price,
)
from tui_trader.domain.market import Candle, Tick

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def kline(**changes: Any) -> dict[str, Any]:
    k = {
        "t": 1672515780000,
        "T": 1672515839999,
        "s": "BNBBTC",
        "i": "1m",
        "f": 100,
        "L": 200,
        "o": "0.0010",
        "c": "0.0020",
        "h": "0.0025",
        "l": "0.0010",
        "v": "1000",
        "n": 100,
        "x": False,
        "q": "1.0000",
        "V": "500",
        "Q": "0.500",
        "B": "123456",
    }
    return {"e": "kline", "E": 1672515782136, "s": "BNBBTC", "k": k | changes}


def test_kline_frame_becomes_a_candle_with_exact_decimals_and_times() -> None:
    candle = parse_kline(kline(x=True))
    assert candle == Candle(
        "BNBBTC",
        datetime(2022, 12, 31, 19, 43, tzinfo=UTC),
        datetime(2022, 12, 31, 19, 43, 59, 999000, tzinfo=UTC),
        Decimal("0.0010"),
        Decimal("0.0025"),
        Decimal("0.0010"),
        Decimal("0.0020"),
        Decimal("1000"),
        True,
        "1m",
    )
    assert parse_kline(kline()).closed is False


def test_epoch_milliseconds_convert_exactly() -> None:
    assert ms_to_utc(1672515839999) == datetime(2022, 12, 31, 19, 43, 59, 999000, tzinfo=UTC)
    assert ms_to_utc(0) == datetime(1970, 1, 1, tzinfo=UTC)


def test_kline_row_is_closed_only_once_its_close_time_has_passed() -> None:
    row = [1672515780000, "1.5", "2", "1", "1.75", "10", 1672515839999, "15", 3, "5", "7", "0"]
    closed = parse_kline_row("BTCUSDT", "1m", row, server_now_ms=1672515840000)
    forming = parse_kline_row("BTCUSDT", "1m", row, server_now_ms=1672515839999)
    assert closed.closed and not forming.closed
    assert (closed.open, closed.high, closed.low, closed.close, closed.volume) == (
        Decimal("1.5"),
        Decimal("2"),
        Decimal("1"),
        Decimal("1.75"),
        Decimal("10"),
    )


def test_book_ticker_becomes_a_mid_priced_tick_stamped_on_receipt() -> None:
    frame = {
        "u": 400900217,
        "s": "BNBUSDT",
        "b": "25.35190000",
        "B": "31.21000000",
        "a": "25.36520000",
        "A": "40.66000000",
    }
    assert parse_book_ticker(frame, RECEIVED) == Tick(
        "BNBUSDT", RECEIVED, Decimal("25.35855"), Decimal("25.3519"), Decimal("25.3652")
    )


def test_mark_price_becomes_a_tick_without_a_book() -> None:
    frame = {
        "e": "markPriceUpdate",
        "E": 1562305380000,
        "s": "BTCUSDT",
        "p": "11794.15000000",
        "i": "11784.62659091",
        "P": "11784.25641265",
        "r": "0.00038167",
        "T": 1562306400000,
        "ap": "11790.1",
        "st": 1,
    }
    tick = parse_mark_price(frame)
    assert tick.ts == datetime(2019, 7, 5, 5, 43, tzinfo=UTC)
    assert tick.price == tick.bid == tick.ask == Decimal("11794.15")


@pytest.mark.parametrize(
    "frame",
    [
        {"e": "kline"},  # no k
        kline(o=0.001),  # a float, not a decimal string
        kline(h="NaN"),
        kline(h="Infinity"),
        kline(l="0"),  # non-positive price
        kline(h="0.0001"),  # high below low
        kline(c="0.0030"),  # close above high
        kline(v="-1"),
        kline(t="1672515780000"),  # time as a string
        kline(t=10**20),  # absurd time
        kline(T=1672515780000 - 1),  # closes before it opens
        kline(s=None),
        {"e": "kline", "k": ["not", "an", "object"]},
    ],
)
def test_malformed_kline_raises_parse_error(frame: dict[str, Any]) -> None:
    with pytest.raises(ParseError, match="kline frame"):
        parse_kline(frame)


@pytest.mark.parametrize(
    "frame",
    [
        {"s": "BTCUSDT", "b": "-1", "a": "2"},
        {"s": "BTCUSDT", "b": "0", "a": "2"},
        {"s": "BTCUSDT", "b": "3", "a": "2"},  # crossed
        {"s": "BTCUSDT", "b": "1", "a": "Infinity"},
        {"s": "BTCUSDT", "b": "abc", "a": "2"},
        {"s": "BTCUSDT", "a": "2"},
        {"s": "", "b": "1", "a": "2"},
    ],
)
def test_malformed_book_ticker_raises_parse_error(frame: dict[str, Any]) -> None:
    with pytest.raises(ParseError, match="bookTicker"):
        parse_book_ticker(frame, RECEIVED)


def test_malformed_mark_price_and_rows_raise_parse_error() -> None:
    with pytest.raises(ParseError, match="markPrice BTCUSDT: price 0"):
        parse_mark_price({"s": "BTCUSDT", "p": "0", "E": 1})
    with pytest.raises(ParseError, match="kline row for BTCUSDT"):
        parse_kline_row("BTCUSDT", "1m", [1, "1"], 0)
    assert ms_to_utc(60_000) - ms_to_utc(0) == timedelta(minutes=1)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"h": "1e999999"}, "'1e999999' is above the 1e21 bound"),
        ({"l": "1e-999999"}, "'1e-999999' is below the 1e-18 bound"),
        ({"v": "9" * 100_000}, "is too long"),
        ({"o": "0x10"}, "is not a number"),
        ({"s": ["X" * 100_000]}, "expected a non-empty string"),
    ],
)
def test_garbage_numbers_are_parse_errors_quoting_at_most_40_characters(
    changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ParseError, match=reason) as caught:
        parse_kline(kline(**changes))
    assert len(str(caught.value)) < 160


def test_wire_amounts_beyond_18_places_are_rounded() -> None:
    tick = parse_book_ticker(
        {"s": "BTCUSDT", "b": "0.1000000000000000004", "a": "0.2000000000000000006"}, RECEIVED
    )
    assert tick.bid == Decimal("0.100000000000000000") and tick.ask == Decimal(
        "0.200000000000000001"
    )
