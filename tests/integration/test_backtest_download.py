"""`tui-trader data download` against a small kline server on 127.0.0.1 that speaks the
Binance REST shapes python-binance uses (/api/v3/ping, /time, /klines)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from tui_trader.backtest.cli import run_data_command
from tui_trader.backtest.download import (
    DownloadError,
    DownloadRequest,
    DownloadResult,
    download_klines,
)
from tui_trader.binance.client import ClientSpec, loopback_endpoints
from tui_trader.market.replay import read_candles

START = datetime(2024, 5, 1, tzinfo=UTC)
MINUTE_MS = 60_000
START_MS = int(START.timestamp() * 1000)
OUTAGE = range(START_MS + 1500 * MINUTE_MS, START_MS + 1510 * MINUTE_MS)  # no klines here


def kline(open_ms: int) -> list[object]:
    price = 100 + (open_ms // MINUTE_MS) % 37
    o, c = f"{price:.8f}", f"{price + 0.5:.8f}"
    return [open_ms, o, f"{price + 1:.8f}", f"{price - 1:.8f}", c, "12.5", open_ms + 59_999,
            "1250.0", 42, "6.0", "600.0", "0"]  # fmt: skip


@dataclass
class KlineServer:
    server_ms: int
    starts: list[int] = field(default_factory=list)  # startTime of each klines request
    fail_on: set[int] = field(default_factory=set)  # klines request numbers answered 500
    malformed: bool = False

    async def klines(self, request: web.Request) -> web.Response:
        query = request.query
        start, end = int(query["startTime"]), int(query["endTime"])
        self.starts.append(start)
        if len(self.starts) in self.fail_on:
            return web.Response(status=500, text="upstream hiccup")
        if self.malformed:
            return web.json_response([[start, "1", "2"]])
        first = -(-start // MINUTE_MS) * MINUTE_MS
        times = range(first, min(end, self.server_ms) + 1, MINUTE_MS)  # forming one included
        rows = [kline(t) for t in times if t not in OUTAGE][: int(query["limit"])]
        return web.json_response(rows)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v3/ping", self.ping)
        app.router.add_get("/api/v3/time", self.time)
        app.router.add_get("/api/v3/klines", self.klines)
        return app

    async def ping(self, _request: web.Request) -> web.Response:
        return web.json_response({})

    async def time(self, _request: web.Request) -> web.Response:
        return web.json_response({"serverTime": self.server_ms})


@pytest.fixture
async def exchange() -> AsyncIterator[tuple[KlineServer, int]]:
    double = KlineServer(server_ms=START_MS + 10 * 24 * 60 * MINUTE_MS)
    runner = web.AppRunner(double.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield double, port
    await runner.cleanup()


def request(minutes: int) -> DownloadRequest:
    return DownloadRequest("BTCUSDT", "1m", START, START + timedelta(minutes=minutes))


async def fetch(port: int, folder: Path, minutes: int) -> DownloadResult:
    spec = ClientSpec(loopback_endpoints(port))
    return await asyncio.to_thread(download_klines, request(minutes), folder, spec)


async def test_download_pages_into_a_readable_cache(
    exchange: tuple[KlineServer, int], tmp_path: Path
) -> None:
    double, port = exchange
    result = await fetch(port, tmp_path, 2500)
    path = tmp_path / "BTCUSDT-1m-20240501-20240502T174000.csv"
    assert result.path == path
    assert (result.written, result.cached) == (2490, 2490)
    assert double.starts[:3] == [START_MS, START_MS + 1000 * MINUTE_MS, START_MS + 2010 * MINUTE_MS]
    gaps: list[tuple[datetime, datetime, int]] = []
    candles = list(read_candles(path, "BTCUSDT", on_gap=lambda *gap: gaps.append(gap)))
    assert len(candles) == 2490
    assert candles[0].open_time == START
    assert str(candles[0].close) == kline(START_MS)[4]
    assert gaps == [(START + timedelta(minutes=1499), START + timedelta(minutes=1510), 10)]


async def test_an_interrupted_download_resumes_after_the_last_candle(
    exchange: tuple[KlineServer, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    double, port = exchange
    double.fail_on = {2}
    argv = ["download", "BTCUSDT", "1m", "--from", "2024-05-01", "--to", "2024-05-01T20:00",
            "--dir", str(tmp_path), "--no-progress"]  # fmt: skip
    endpoints = loopback_endpoints(port)
    assert await asyncio.to_thread(run_data_command, argv, endpoints) == 1
    err = capsys.readouterr().err
    assert "download stopped: HTTP 500 from the exchange" in err
    assert "run the same command again to resume" in err
    path = tmp_path / "BTCUSDT-1m-20240501-20240501T200000.csv"
    assert len(path.read_text().splitlines()) == 1000

    double.starts.clear()
    double.fail_on = set()
    assert await asyncio.to_thread(run_data_command, argv, endpoints) == 0
    assert double.starts[0] == START_MS + 1000 * MINUTE_MS  # not from the beginning
    assert "1200 candles (200 new, resumed after 2024-05-01 16:39)" in capsys.readouterr().out
    clean = await fetch(port, tmp_path / "clean", 1200)
    assert path.read_bytes() == clean.path.read_bytes()


async def test_a_half_written_last_line_is_cut_before_resuming(
    exchange: tuple[KlineServer, int], tmp_path: Path
) -> None:
    _, port = exchange
    clean = await fetch(port, tmp_path / "clean", 300)
    whole = clean.path.read_bytes()
    cut = tmp_path / "cut"
    cut.mkdir()
    lines = whole.splitlines(keepends=True)
    (cut / clean.path.name).write_bytes(b"".join(lines[:120]) + lines[120][:17])
    result = await fetch(port, cut, 300)
    assert (cut / clean.path.name).read_bytes() == whole
    assert result.written == 180


async def test_the_forming_candle_is_never_cached(
    exchange: tuple[KlineServer, int], tmp_path: Path
) -> None:
    double, port = exchange
    double.server_ms = START_MS + 90 * MINUTE_MS + 30_000  # 30 s into the 91st candle
    result = await fetch(port, tmp_path, 600)
    candles = list(read_candles(result.path, "BTCUSDT"))
    assert len(candles) == 90
    assert candles[-1].open_time == START + timedelta(minutes=89)


async def test_a_malformed_reply_stops_with_a_clear_error(
    exchange: tuple[KlineServer, int], tmp_path: Path
) -> None:
    double, port = exchange
    double.malformed = True
    with pytest.raises(DownloadError, match="not a 12-field kline"):
        await fetch(port, tmp_path, 60)


async def test_an_unreachable_exchange_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["download", "BTCUSDT", "1m", "--from", "2024-05-01", "--to", "2024-05-02",
            "--dir", str(tmp_path), "--no-progress"]  # fmt: skip
    assert await asyncio.to_thread(run_data_command, argv, loopback_endpoints(9)) == 1
    assert "cannot reach the exchange" in capsys.readouterr().err
