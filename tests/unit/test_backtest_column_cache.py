"""The candle column cache: exact values, and a damaged, stale or unwritable cache never
changes a result."""

import logging
import random
from decimal import Decimal
from pathlib import Path

import pytest

from tui_trader.backtest.column_cache import (
    cache_file,
    cache_key,
    candle_columns,
    remembered_key,
)
from tui_trader.backtest.columns import NotColumnar, read_columns
from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.backtest.runner import BacktestRun
from tui_trader.config import Settings, load_settings
from tui_trader.market.replay import read_candles

START_MS = 1_709_251_200_000  # 2024-03-01 00:00 UTC
STEP_US = 60_000_000


def write_walk(path: Path, count: int, seed: int = 2) -> Path:
    rng = random.Random(seed)
    price, lines = 100.0, []
    for index in range(count):
        close = price * (1 + rng.gauss(0, 0.004))
        high, low = max(price, close) * 1.001, min(price, close) * 0.999
        start = START_MS + index * 60_000
        lines.append(f"{start},{price:.2f},{high:.4f},{low:.3f},{close:.2f},"
                     f"{rng.uniform(0, 9):.6f},{start + 59_999},0,0,0,0,0\n")  # fmt: skip
        price = float(f"{close:.2f}")
    path.write_text("".join(lines))
    return path


def settings(tmp_path: Path) -> Settings:
    return load_settings(
        _env_file=None,
        TUI_TRADER_DATA_DIR=str(tmp_path / "data"),
        symbols="BTCUSDT",
        strategy="ema_cross",
        strategy_params={"fast_period": 3, "slow_period": 8},
        allow_market_orders=True,
    )


def exact(tmp_path: Path, data: Path) -> BacktestResult:
    return BacktestRun(settings(tmp_path), BacktestSpec(data, "BTCUSDT"), every_candle=True).run()


def cached(tmp_path: Path, data: Path, cache: Path) -> BacktestResult:
    return BacktestRun(settings(tmp_path), BacktestSpec(data, "BTCUSDT", cache=cache)).run()


def same(one: BacktestResult, two: BacktestResult) -> bool:
    return (one.fills, one.counts, one.final_equity, one.curve.equity) == (
        two.fills,
        two.counts,
        two.final_equity,
        two.curve.equity,
    )


def the_cache_file(tmp_path: Path, data: Path) -> Path:
    return cache_file(tmp_path / "cache", cache_key(data, "BTCUSDT", "1m"))


def test_columns_give_back_the_readers_decimals_and_candles(tmp_path: Path) -> None:
    data = write_walk(tmp_path / "c.csv", 300)
    columns = read_columns(data, "BTCUSDT", "1m", STEP_US)
    for index, candle in enumerate(read_candles(data, "BTCUSDT")):
        rebuilt = columns.candle(index)
        assert rebuilt == candle
        assert str(rebuilt.high) == str(candle.high)  # digits and exponent, not only value
        assert str(rebuilt.volume) == str(candle.volume)


def test_a_number_the_columns_cannot_hold_streams_the_file_instead(tmp_path: Path) -> None:
    data = write_walk(tmp_path / "c.csv", 200)
    lines = data.read_text().splitlines(keepends=True)
    fields = lines[50].split(",")
    fields[5] = "1" + "0" * 19 + ".5"  # 21 digits: beyond a 64-bit coefficient
    lines[50] = ",".join(fields)
    data.write_text("".join(lines))
    with pytest.raises(NotColumnar):
        read_columns(data, "BTCUSDT", "1m", STEP_US)
    assert candle_columns(data, "BTCUSDT", "1m", STEP_US, tmp_path / "cache") is None
    assert same(cached(tmp_path, data, tmp_path / "cache"), exact(tmp_path, data))


def test_the_second_run_reads_the_cache_file(tmp_path: Path) -> None:
    data = write_walk(tmp_path / "c.csv", 500)
    first = cached(tmp_path, data, tmp_path / "cache")
    assert the_cache_file(tmp_path, data).is_file()
    data.rename(tmp_path / "moved.csv")
    data.write_bytes((tmp_path / "moved.csv").read_bytes())  # same bytes: same key
    assert same(cached(tmp_path, data, tmp_path / "cache"), first)
    assert same(first, exact(tmp_path, data))


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "garbage", "empty"])
def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path: Path, damage: str) -> None:
    data = write_walk(tmp_path / "c.csv", 500)
    cached(tmp_path, data, tmp_path / "cache")
    target = the_cache_file(tmp_path, data)
    blob = bytearray(target.read_bytes())
    if damage == "truncated":
        blob = blob[: len(blob) - 100]
    elif damage == "flipped byte":
        blob[-1000] ^= 0x40
    elif damage == "garbage":
        blob = bytearray(b"not a cache at all\n" * 10)
    else:
        blob = bytearray()
    target.write_bytes(bytes(blob))
    assert same(cached(tmp_path, data, tmp_path / "cache"), exact(tmp_path, data))
    assert target.read_bytes() != bytes(blob), "the damaged file should be rewritten"
    assert candle_columns(data, "BTCUSDT", "1m", STEP_US, tmp_path / "cache") is not None


def test_a_csv_edited_after_caching_is_read_again(tmp_path: Path) -> None:
    data = write_walk(tmp_path / "c.csv", 500, seed=2)
    before = cached(tmp_path, data, tmp_path / "cache")
    old_file = the_cache_file(tmp_path, data)
    write_walk(data, 500, seed=3)  # same size and name, other prices
    after = cached(tmp_path, data, tmp_path / "cache")
    assert the_cache_file(tmp_path, data) != old_file
    assert same(after, exact(tmp_path, data))
    assert not same(after, before)


def test_the_csvs_digest_is_remembered_until_the_file_changes(tmp_path: Path) -> None:
    data, folder = write_walk(tmp_path / "c.csv", 300, seed=2), tmp_path / "cache"
    key = remembered_key(data, "BTCUSDT", "1m", folder)
    assert key == cache_key(data, "BTCUSDT", "1m")
    assert [memo.read_text() for memo in (folder / "keys").iterdir()] == [key]
    assert remembered_key(data, "BTCUSDT", "1m", folder) == key  # read back
    write_walk(data, 300, seed=3)  # same size and name, other prices: a new identity
    assert remembered_key(data, "BTCUSDT", "1m", folder) == cache_key(data, "BTCUSDT", "1m")
    assert remembered_key(data, "BTCUSDT", "1m", folder) != key


def test_an_unwritable_cache_folder_costs_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = write_walk(tmp_path / "c.csv", 500)
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="tui_trader.backtest.cache"):
        result = cached(tmp_path, data, blocker / "cache")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "candle cache not written" in warnings[0].getMessage()
    assert same(result, exact(tmp_path, data))


def test_decimals_round_trip_with_their_exponent() -> None:
    from tui_trader.backtest.columns import CandleColumns

    columns = CandleColumns("BTCUSDT", "1m", STEP_US)
    values = ["0", "0.000", "1E+3", "30000.10", "0.000000000000000001", "123456789012345678"]
    for text in values:
        candle = next(iter(_one_candle(text)))
        columns.append(candle)
    for index, text in enumerate(values):
        rebuilt = columns.decimal(4, index)
        assert rebuilt.as_tuple() == Decimal(text).as_tuple()


def _one_candle(volume: str) -> list:  # type: ignore[type-arg]
    from datetime import UTC, datetime

    from tui_trader.domain.market import Candle

    at = datetime(2024, 3, 1, tzinfo=UTC)
    one = Decimal(1)
    return [Candle("BTCUSDT", at, at, one, one, one, one, Decimal(volume))]
