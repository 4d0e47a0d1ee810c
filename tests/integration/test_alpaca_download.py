"""Issue 17 (Alpaca, first slice): `tui-trader data download --venue alpaca` through
alpaca-py against a local double of Alpaca's market data API, then a backtest of those
bars through the same engine. Fake keys only; every request stays on 127.0.0.1."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import keyring
import pytest

from tests.doubles.alpaca_data import KEY_ID, SECRET, AlpacaData, alpaca_data, price_at
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tui_trader.backtest.cli import run_backtest_command, run_data_command
from tui_trader.backtest.download import DownloadError, DownloadRequest
from tui_trader.backtest.download_alpaca import AlpacaDownload, AlpacaKeys, download_alpaca
from tui_trader.market.replay import read_candles
from tui_trader.secrets.store import SecretStore

HOLIDAY = date(2025, 1, 9)  # the markets closed for President Carter's funeral
MINUTE = timedelta(minutes=1)
NOW = datetime(2025, 2, 3, 15, 7, 30, tzinfo=UTC)  # a Monday, in the 15:00 15m bar
KEYS = AlpacaKeys(KEY_ID, SECRET)


@pytest.fixture
async def alpaca(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[tuple[AlpacaData, str]]:
    """The double, keys in the environment, an empty keyring (never the machine's)."""
    monkeypatch.setenv("ALPACA_API_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALPACA_API_SECRET_KEY", SECRET)
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    double = AlpacaData(now=NOW, holidays={HOLIDAY}, page_size=10)
    with keyring_installed(MemoryKeyring()):
        async with alpaca_data(double) as url:
            yield double, url


async def test_the_keys_may_live_in_the_keyring_under_alpaca(
    alpaca: tuple[AlpacaData, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    double, url = alpaca
    monkeypatch.delenv("ALPACA_API_KEY_ID")
    monkeypatch.delenv("ALPACA_API_SECRET_KEY")
    assert await run(argv(tmp_path / "first"), url) == 2  # none anywhere: usage
    store = SecretStore(keyring.get_keyring())
    await store.set_secret("alpaca", "key", KEY_ID)
    await store.set_secret("alpaca", "secret", SECRET)
    assert await run(argv(tmp_path), url) == 0
    assert double.requests, "downloaded with the keyring's pair"


def argv(folder: Path, interval: str = "15m", end: str = "2025-01-10") -> list[str]:
    return ["download", "AAPLUSD", interval, "--from", "2025-01-02", "--to", end, "--venue",
            "alpaca", "--dir", str(folder), "--no-progress"]  # fmt: skip


def run(args: list[str], url: str) -> "asyncio.Future[int]":
    return asyncio.ensure_future(asyncio.to_thread(run_data_command, args, None, None, url))


async def download(url: str, folder: Path, interval: str, end: datetime, **job: object) -> Path:
    request = DownloadRequest("AAPLUSD", interval, datetime(2025, 1, 2, tzinfo=UTC), end)
    alpaca = AlpacaDownload(request, KEYS, url, pause_s=0.01, now=lambda: NOW, **job)  # type: ignore[arg-type]
    return (await asyncio.to_thread(download_alpaca, alpaca, folder)).path


async def test_pages_into_klines_with_nights_weekends_and_holidays_as_gaps(
    alpaca: tuple[AlpacaData, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    double, url = alpaca
    assert await run(argv(tmp_path), url) == 0
    path = tmp_path / "alpaca" / "AAPLUSD-15m-20250102-20250110.csv"
    assert f"{path}: 130 candles (130 new)" in capsys.readouterr().out  # 5 sessions of 26
    assert len(double.requests) == 13  # pages of 10, followed by the SDK
    assert {(r["symbols"], r["timeframe"], r["feed"]) for r in double.requests} == {
        ("AAPL", "15Min", "iex")
    }
    gaps: list[tuple[datetime, datetime, int]] = []
    candles = list(read_candles(path, "AAPLUSD", "15m", on_gap=lambda *gap: gaps.append(gap)))
    first = datetime(2025, 1, 2, 14, 30, tzinfo=UTC)
    assert candles[0].open_time == first and candles[-1].open_time.day == 8
    assert candles[0].open == price_at(int(first.timestamp() // 60))  # exact cents
    assert candles[0].volume == Decimal(1200 + int(first.timestamp() // 60) % 50)
    assert [(a.date().day, b.date().day) for a, b, _ in gaps] == [(2, 3), (3, 6), (6, 7), (7, 8)]


async def test_the_forming_bar_is_never_cached(
    alpaca: tuple[AlpacaData, str], tmp_path: Path
) -> None:
    path = await download(alpaca[1], tmp_path, "15m", NOW + timedelta(days=2))
    last = list(read_candles(path, "AAPLUSD", "15m"))[-1]
    assert last.open_time == datetime(2025, 2, 3, 14, 45, tzinfo=UTC)  # 15:00 is forming


async def test_a_failure_midway_resumes_exactly(
    alpaca: tuple[AlpacaData, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    double, url = alpaca
    double.page_size = 500  # 1m windows of 10,000 minutes: four pages each
    double.faults = {6: "malformed"}  # in the second window
    assert await run(argv(tmp_path, "1m", "2025-01-17"), url) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "run the same command again to resume" in err[0]
    path = tmp_path / "alpaca" / "AAPLUSD-1m-20250102-20250117.csv"
    assert len(path.read_text().splitlines()) == 5 * 390  # the first window stays
    with path.open("a") as out:
        out.write("1736348400000,180.1")  # a half-written line, as a crash leaves it
    double.faults, double.requests = {}, []
    assert await run(argv(tmp_path, "1m", "2025-01-17"), url) == 0
    assert double.requests[0]["start"] == "2025-01-08T21:00:00+00:00"  # not from the start
    assert "3900 candles (1950 new, resumed after 2025-01-08 20:59)" in capsys.readouterr().out
    clean = await download(url, tmp_path / "clean", "1m", datetime(2025, 1, 17, tzinfo=UTC))
    assert path.read_bytes() == clean.read_bytes()


async def test_429_and_5xx_are_retried_then_one_line(
    alpaca: tuple[AlpacaData, str], tmp_path: Path
) -> None:
    double, url = alpaca
    double.faults = {1: "429", 3: "500"}  # the SDK waits out the 429, we the 500
    end = datetime(2025, 1, 3, tzinfo=UTC)
    path = await download(url, tmp_path, "15m", end)
    assert len(path.read_text().splitlines()) == 26
    double.faults = {n: "500" for n in range(len(double.requests) + 1, 100)}
    with pytest.raises(DownloadError, match=r"Alpaca is busy \(HTTP 500\) after 4 tries; run"):
        await download(url, tmp_path / "again", "15m", end)


@pytest.mark.parametrize(
    ("unset", "interval", "message"),
    [
        ("ALPACA_API_SECRET_KEY", "15m",
         "run `tui-trader keys set alpaca`, or set ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY"),
        ("ALPACA_API_KEY_ID", "4h", "Alpaca has 1m, 5m, 15m, 30m, 1h, 1d"),  # said first
    ],
)  # fmt: skip
async def test_missing_keys_or_a_bad_interval_exit_2_before_any_request(
    alpaca: tuple[AlpacaData, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, unset: str, interval: str, message: str,
) -> None:  # fmt: skip
    double, url = alpaca
    monkeypatch.delenv(unset)
    assert await run(argv(tmp_path, interval), url) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert double.requests == []


async def test_bad_keys_are_one_line_and_exit_2(
    alpaca: tuple[AlpacaData, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("ALPACA_API_SECRET_KEY", "wrong-secret")
    assert await run(argv(tmp_path), alpaca[1]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Alpaca refused the keys (HTTP 401" in err[0]
    assert "wrong-secret" not in err[0]


async def test_downloaded_alpaca_bars_backtest_through_the_same_engine(
    alpaca: tuple[AlpacaData, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert await run(argv(tmp_path, "15m", "2025-02-01"), alpaca[1]) == 0
    path = tmp_path / "alpaca" / "AAPLUSD-15m-20250102-20250201.csv"
    capsys.readouterr()
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QUOTE_ASSET", "USD")
    monkeypatch.setenv("SYMBOLS", "AAPLUSD")
    args = ["--strategy", "ema_cross", "--data", str(path), "--symbol", "AAPLUSD",
            "--interval", "15m", "--param", "fast_period=3", "--param", "slow_period=8",
            "--market-orders", "--output", "json", "--no-progress"]  # fmt: skip
    assert await asyncio.to_thread(run_backtest_command, args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["run"]["symbol"] == "AAPLUSD" and report["trades"]
    assert len(report["gaps"]) >= 20  # every night, weekend and holiday, listed
