import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle
from tui_trader.market.feed import FeedError, MarketFeed
from tui_trader.market.replay import ReplayFeed, parse_time, read_candles

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T0_MS = 1704067200000  # 2024-01-01T00:00:00Z
MINUTE_MS = 60_000
Gap = tuple[datetime, datetime, int]


def binance_row(
    open_ms: int, o: str = "100", h: str = "101", low: str = "99", c: str = "100.5"
) -> str:
    close_ms = open_ms + MINUTE_MS - 1
    return f"{open_ms},{o},{h},{low},{c},12.5,{close_ms},1250.0,42,6.1,610.0,0"


def write(tmp_path: Path, lines: list[str], name: str = "klines.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def candles(path: Path, **kwargs: object) -> list[Candle]:
    return list(read_candles(path, "BTCUSDT", **kwargs))  # type: ignore[arg-type]


def test_binance_layout_in_milliseconds(tmp_path: Path) -> None:
    rows = [binance_row(T0_MS), binance_row(T0_MS + MINUTE_MS, "100.5", "103", "100.1", "102")]
    got = candles(write(tmp_path, rows))
    assert got[0] == Candle(
        symbol="BTCUSDT",
        open_time=T0,
        close_time=T0 + timedelta(seconds=59, milliseconds=999),
        open=Decimal("100"),
        high=Decimal("101"),
        low=Decimal("99"),
        close=Decimal("100.5"),
        volume=Decimal("12.5"),
        closed=True,
        interval="1m",
    )
    assert got[1].open_time == T0 + timedelta(minutes=1)
    assert (got[1].open, got[1].high, got[1].low, got[1].close) == tuple(
        map(Decimal, ("100.5", "103", "100.1", "102"))
    )


def test_binance_2025_spot_files_in_microseconds(tmp_path: Path) -> None:
    jan_2025_us = 1735689600000000
    rows = [binance_row(jan_2025_us), binance_row(jan_2025_us + MINUTE_MS * 1000)]
    got = candles(write(tmp_path, rows))
    assert [c.open_time for c in got] == [
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 1, tzinfo=UTC),
    ]


def test_header_layout_any_case_and_order_epoch_seconds(tmp_path: Path) -> None:
    lines = [
        "Volume,TIMESTAMP,open,High,low,Close",
        "5, 1704067200 ,10,11,9,10.5",
        "",
        "6,1704067260,10.5,12,10,11",
    ]
    got = candles(write(tmp_path, lines), interval="1m")
    assert [(c.open_time, c.open, c.high, c.low, c.close, c.volume) for c in got] == [
        (T0, Decimal(10), Decimal(11), Decimal(9), Decimal("10.5"), Decimal(5)),
        (
            T0 + timedelta(minutes=1),
            Decimal("10.5"),
            Decimal(12),
            Decimal(10),
            Decimal(11),
            Decimal(6),
        ),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1704067200", T0),
        ("1704067200.5", T0 + timedelta(milliseconds=500)),
        ("1704067200000", T0),
        ("1704067200000000", T0),
        ("2024-01-01T00:00:00Z", T0),
        ("2024-01-01 00:00:00", T0),  # naive ISO means UTC
        ("2024-01-01T02:00:00+02:00", T0),
    ],
)
def test_parse_time_units_and_iso(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected
    assert parse_time(text).tzinfo is UTC


@pytest.mark.parametrize("text", ["yesterday", "-5", "NaN", "1" * 18, ""])
def test_parse_time_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_iso_timestamps_in_a_file_with_a_five_minute_interval(tmp_path: Path) -> None:
    lines = [
        "timestamp,open,high,low,close,volume",
        "2024-01-01T00:00:00,1,2,0.5,1.5,3",
        "2024-01-01T00:05:00Z,1.5,2,1,1.2,4",
    ]
    got = candles(write(tmp_path, lines), interval="5m")
    assert [c.open_time for c in got] == [T0, T0 + timedelta(minutes=5)]
    assert got[0].close_time == T0 + timedelta(minutes=5, milliseconds=-1)
    assert got[0].interval == "5m"


@pytest.mark.parametrize(
    ("bad_line", "what"),
    [
        (binance_row(T0_MS + MINUTE_MS, h="abc"), "high is not a number: 'abc'"),
        (
            binance_row(T0_MS + MINUTE_MS)[:30],
            "expected 12 columns (Binance kline layout, no header), got 5",
        ),
        (
            "yesterday" + binance_row(T0_MS + MINUTE_MS)[13:],
            "timestamp is neither an epoch number nor ISO-8601",
        ),
    ],
)
def test_malformed_line_names_file_line_and_text(tmp_path: Path, bad_line: str, what: str) -> None:
    path = write(tmp_path, [binance_row(T0_MS), "", bad_line])
    reader = read_candles(path, "BTCUSDT")
    assert next(reader).open_time == T0  # lazy: the good first row arrives before the error
    with pytest.raises(FeedError) as caught:
        next(reader)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: {what} (")
    snippet = message[message.rindex(" (") + 2 : -1]
    assert len(snippet) <= 40 and bad_line.startswith(snippet.rstrip("…"))
    assert snippet.endswith("…") == (len(bad_line) > 40)


def test_non_increasing_timestamp_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [binance_row(T0_MS), binance_row(T0_MS + MINUTE_MS), binance_row(T0_MS + MINUTE_MS)],
    )
    with pytest.raises(
        FeedError,
        match=r"klines\.csv:3: timestamp 2024-01-01T00:01:00\+00:00 is not after line 2's",
    ):
        candles(path)


def test_off_grid_spacing_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, [binance_row(T0_MS), binance_row(T0_MS + 90_000)])
    with pytest.raises(FeedError, match=r":2: open time .* is off the 1m grid of line 1"):
        candles(path)


def test_gaps_are_reported_with_the_missing_count(tmp_path: Path) -> None:
    gaps: list[Gap] = []
    minutes = [0, 1, 4, 5, 7]
    path = write(tmp_path, [binance_row(T0_MS + m * MINUTE_MS) for m in minutes])
    got = candles(path, on_gap=lambda *gap: gaps.append(gap))
    assert len(got) == 5
    at = [T0 + timedelta(minutes=m) for m in minutes]
    assert gaps == [(at[1], at[2], 2), (at[3], at[4], 1)]


def test_non_positive_price_row_is_dropped_with_a_safety_event(tmp_path: Path) -> None:
    reported: list[SafetyEvent] = []
    gaps: list[Gap] = []
    rows = [
        binance_row(T0_MS),
        binance_row(T0_MS + MINUTE_MS, low="0"),
        binance_row(T0_MS + 2 * MINUTE_MS),
    ]
    path = write(tmp_path, rows)
    got = candles(path, on_bad_data=reported.append, on_gap=lambda *gap: gaps.append(gap))
    assert [c.open_time for c in got] == [T0, T0 + timedelta(minutes=2)]
    (event,) = reported
    assert event.kind == "bad_market_data" and event.symbol == "BTCUSDT"
    assert "non-positive low 0" in event.message
    assert event.data["source"] == f"{path}:2"
    assert event.data["low"] == "0" and event.data["open_time"] == "2024-01-01T00:01:00+00:00"
    assert gaps == []  # the row is in the file: a dropped row is not a gap


def test_empty_header_only_and_missing_files(tmp_path: Path) -> None:
    empty = write(tmp_path, ["", "  "], "empty.csv")
    with pytest.raises(FeedError, match=r"empty\.csv: empty file"):
        candles(empty)
    header_only = write(tmp_path, ["timestamp,open,high,low,close,volume"], "h.csv")
    with pytest.raises(FeedError, match=r"h\.csv: no candle rows after the header"):
        candles(header_only)
    missing = tmp_path / "nope.csv"
    with pytest.raises(FeedError, match=r"nope\.csv: file not found"):
        candles(missing)
    with pytest.raises(FeedError, match=r"nope\.csv: file not found"):
        ReplayFeed(missing, "BTCUSDT")


def test_bad_header_interval_and_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, ["time,open,high,close,volume", "1704067200,1,2,1,3"])
    with pytest.raises(FeedError, match=r":1: header lacks column\(s\) timestamp, low \(time,open"):
        candles(path)
    good = write(tmp_path, [binance_row(T0_MS)], "good.csv")
    with pytest.raises(FeedError, match="unknown candle interval '1M'"):
        candles(good, interval="1M")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(binance_row(T0_MS).encode() + b"\n\xff\xfe\x00garbage\n")
    with pytest.raises(FeedError, match=r"bin\.csv:2: not UTF-8 text"):
        candles(binary)


async def test_replay_feed_flat_out_with_gaps(tmp_path: Path) -> None:
    gaps: list[Gap] = []
    path = write(tmp_path, [binance_row(T0_MS + m * MINUTE_MS) for m in (0, 1, 3)])
    feed: MarketFeed = ReplayFeed(path, "ETHUSDT", on_gap=lambda *gap: gaps.append(gap))
    assert feed.name == "replay"
    got = [event async for event in feed.events()]
    assert [(c.symbol, c.open_time) for c in got if isinstance(c, Candle)] == [
        ("ETHUSDT", T0 + timedelta(minutes=m)) for m in (0, 1, 3)
    ]
    assert gaps == [(T0 + timedelta(minutes=1), T0 + timedelta(minutes=3), 1)]


async def test_replay_feed_paces_by_candle_spacing(tmp_path: Path) -> None:
    # Three candles spanning 2 minutes at 600x: the last is due 0.2 s after the first.
    path = write(tmp_path, [binance_row(T0_MS + m * MINUTE_MS) for m in range(3)])
    feed = ReplayFeed(path, "BTCUSDT", speed=600)
    loop = asyncio.get_running_loop()
    began = loop.time()
    got = [event async for event in feed.events()]
    elapsed = loop.time() - began
    assert len(got) == 3
    assert 0.18 <= elapsed < 2.0


async def test_replay_feed_close_stops_a_waiting_stream(tmp_path: Path) -> None:
    path = write(tmp_path, [binance_row(T0_MS + m * MINUTE_MS) for m in range(3)])
    feed = ReplayFeed(path, "BTCUSDT", speed=1)  # next candle due in 60 s
    seen: list[object] = []

    async def consume() -> None:
        async for event in feed.events():
            seen.append(event)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    await feed.close()
    await asyncio.wait_for(task, timeout=1.0)
    assert len(seen) == 1


def test_byte_order_mark_and_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    text = "timestamp,open,high,low,close,volume\r\n1704067200000,1,2,0.5,1.5,3\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    (candle,) = candles(path)
    assert (candle.open_time, candle.close, candle.volume) == (T0, Decimal("1.5"), Decimal(3))


@pytest.mark.parametrize(
    ("cell", "problem"),
    [("1e999999", "above the 1e21 bound"), ("1e-999999", "below the 1e-18 bound")],
)
def test_out_of_range_prices_drop_their_row_with_a_short_event(
    tmp_path: Path, cell: str, problem: str
) -> None:
    reported: list[SafetyEvent] = []
    rows = [
        binance_row(T0_MS),
        binance_row(T0_MS + MINUTE_MS, h=cell)
        if "e9" in cell
        else binance_row(T0_MS + MINUTE_MS, low=cell),
        binance_row(T0_MS + 2 * MINUTE_MS),
    ]
    got = candles(write(tmp_path, rows), on_bad_data=reported.append)
    assert [c.open_time for c in got] == [T0, T0 + timedelta(minutes=2)]
    (event,) = reported
    assert problem in event.message and len(event.message) < 200
    assert all(len(value) <= 40 for value in event.data.values() if value != event.data["source"])


def test_a_megabyte_number_fails_with_a_short_quote(tmp_path: Path) -> None:
    path = write(tmp_path, [binance_row(T0_MS), binance_row(T0_MS + MINUTE_MS, o="9" * 100_000)])
    with pytest.raises(FeedError) as caught:
        candles(path)
    assert "open is not a number" in str(caught.value) and len(str(caught.value)) < 300


def test_digits_beyond_18_places_are_rounded(tmp_path: Path) -> None:
    row = binance_row(T0_MS, c="100.1234567890123456789")
    (candle,) = candles(write(tmp_path, [row]))
    assert candle.close == Decimal("100.123456789012345679")
