"""Issue 17 (Upbit, first slice): `tui-trader data download --venue upbit` against a local
double of Upbit's quotation API, then a backtest of those candles through the same engine."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.upbit_quotation import UpbitQuotation, price_at, upbit_quotation
from tui_trader.backtest.cli import run_backtest_command, run_data_command
from tui_trader.backtest.download import DownloadRequest
from tui_trader.backtest.download_upbit import UpbitDownload, download_upbit
from tui_trader.market.replay import read_candles

START = datetime(2024, 5, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
QUIET = {START + 300 * MINUTE, START + 301 * MINUTE}  # no trade, no Upbit candle


@pytest.fixture
async def upbit() -> AsyncIterator[tuple[UpbitQuotation, str]]:
    double = UpbitQuotation(now=START + 3000 * MINUTE + timedelta(seconds=30), quiet=QUIET)
    async with upbit_quotation(double) as url:
        yield double, url


def argv(folder: Path, end: str = "2024-05-01T10:00") -> list[str]:
    return ["download", "BTCKRW", "1m", "--from", "2024-05-01", "--to", end, "--venue",
            "upbit", "--dir", str(folder), "--no-progress"]  # fmt: skip


async def download(url: str, folder: Path, minutes: int) -> Path:
    request = DownloadRequest("BTCKRW", "1m", START, START + minutes * MINUTE)
    job = UpbitDownload(request, url, pause_s=0.01)
    return (await asyncio.to_thread(download_upbit, job, folder)).path


async def test_pages_forward_into_klines_the_backtest_reads(
    upbit: tuple[UpbitQuotation, str], tmp_path: Path
) -> None:
    double, url = upbit
    path = await download(url, tmp_path, 600)
    assert path == tmp_path / "upbit" / "BTCKRW-1m-20240501-20240501T100000.csv"
    assert [r["market"] for r in double.requests] == ["KRW-BTC"] * 3
    assert [r["to"] for r in double.requests] == [
        "2024-05-01T03:20:00Z", "2024-05-01T06:40:00Z", "2024-05-01T10:00:00Z"
    ]  # fmt: skip
    gaps: list[tuple[datetime, datetime, int]] = []
    candles = list(read_candles(path, "BTCKRW", on_gap=lambda *gap: gaps.append(gap)))
    assert len(candles) == 598 and candles[0].open_time == START
    assert candles[0].open == Decimal(price_at(int(START.timestamp() // 60)))
    assert candles[0].volume == Decimal("1.37") + Decimal(int(START.timestamp() // 60) % 5) / 100
    assert gaps == [(START + 299 * MINUTE, START + 302 * MINUTE, 2)]  # the quiet minutes


async def test_the_forming_candle_is_never_cached(
    upbit: tuple[UpbitQuotation, str], tmp_path: Path
) -> None:
    path = await download(upbit[1], tmp_path, 4000)  # the range runs past the double's now
    candles = list(read_candles(path, "BTCKRW"))
    assert candles[-1].open_time == START + 2999 * MINUTE  # 3000 is still forming
    assert len(candles) == 3000 - len(QUIET)


async def test_throttling_and_5xx_are_waited_out_and_resume_is_exact(
    upbit: tuple[UpbitQuotation, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    double, url = upbit
    double.faults = {1: "429", 2: "500", 4: "error"}
    code = await asyncio.to_thread(run_data_command, argv(tmp_path), None, url)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert "Upbit error invalid_parameter_market: no such market" in err[0]
    assert "run the same command again to resume" in err[0]
    path = tmp_path / "upbit" / "BTCKRW-1m-20240501-20240501T100000.csv"
    assert len(path.read_text().splitlines()) == 200  # the page before the error stays
    double.faults, double.requests = {}, []
    assert await asyncio.to_thread(run_data_command, argv(tmp_path), None, url) == 0
    assert double.requests[0]["to"] == "2024-05-01T06:40:00Z"  # not from the start again
    assert "598 candles (398 new, resumed after 2024-05-01 03:19)" in capsys.readouterr().out
    clean = await download(url, tmp_path / "clean", 600)
    assert path.read_bytes() == clean.read_bytes()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("418", "Upbit blocked this address for too many requests (418)"),
        ("malformed", "HTTP 200 from Upbit, not JSON"),
        ("negative", "unusable candle from Upbit"),
    ],
)
async def test_a_hostile_reply_is_one_line_and_exit_1(
    upbit: tuple[UpbitQuotation, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    fault: str, message: str,
) -> None:  # fmt: skip
    double, url = upbit
    double.faults = {1: fault}
    assert await asyncio.to_thread(run_data_command, argv(tmp_path), None, url) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


async def test_bad_requests_are_refused_before_any_call(
    upbit: tuple[UpbitQuotation, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    double, url = upbit
    bad = argv(tmp_path)
    bad[1] = "BTCEUR"
    assert await asyncio.to_thread(run_data_command, bad, None, url) == 2
    assert "expected BASE + one of KRW, BTC, USDT" in capsys.readouterr().err
    bad = argv(tmp_path)
    bad[2] = "2h"
    assert await asyncio.to_thread(run_data_command, bad, None, url) == 2
    assert "Upbit has 1m, 3m, 5m, 15m, 30m, 1h, 4h, 1d" in capsys.readouterr().err
    assert double.requests == []


async def test_downloaded_upbit_candles_backtest_through_the_same_engine(
    upbit: tuple[UpbitQuotation, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = await download(upbit[1], tmp_path, 3000)
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QUOTE_ASSET", "KRW")
    monkeypatch.setenv("PAPER_QUOTE_BALANCE", "10000000")
    args = ["--strategy", "ema_cross", "--data", str(path), "--symbol", "BTCKRW",
            "--param", "fast_period=3", "--param", "slow_period=8", "--market-orders",
            "--output", "json", "--no-progress"]  # fmt: skip
    assert await asyncio.to_thread(run_backtest_command, args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["run"]["symbol"] == "BTCKRW" and report["trades"]
    assert len(report["gaps"]) == 1  # Upbit's quiet minutes, reported
