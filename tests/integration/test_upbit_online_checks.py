"""`selftest --online` and `doctor --online` on VENUE=upbit ask Upbit (the local double),
not Binance: reachable, the symbols listed, the clock against its Date header."""

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.doubles.upbit_quotation import UpbitQuotation, upbit_quotation
from tests.trader_support import make_settings
from tui_trader.app.doctor import run_doctor
from tui_trader.app.selftest import run_selftest
from tui_trader.config import Settings
from tui_trader.ops.settings import load_ops_settings


@pytest.fixture
async def upbit() -> AsyncIterator[tuple[UpbitQuotation, str]]:
    double = UpbitQuotation(now=datetime.now(UTC))
    async with upbit_quotation(double) as url:
        yield double, url


def upbit_settings(tmp_path: Path, url: str, symbols: str = "BTCKRW,ETHKRW") -> Settings:
    return make_settings(tmp_path, VENUE="upbit", QUOTE_ASSET="KRW", SYMBOLS=symbols,
                         UPBIT_API_URL=url)  # fmt: skip


def exchange_line(out: str) -> str:
    [line] = [line for line in out.splitlines() if " exchange " in line]
    return line


async def test_selftest_online_asks_upbit(
    upbit: tuple[UpbitQuotation, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    double, url = upbit
    await run_selftest(upbit_settings(tmp_path, url), online=True)
    line = exchange_line(capsys.readouterr().out)
    assert line.startswith("OK") and "Upbit reachable in" in line and "clock about 0 s off" in line
    await run_selftest(upbit_settings(tmp_path, url, "BTCKRW,XRPKRW"), online=True)
    line = exchange_line(capsys.readouterr().out)
    assert line.startswith("FAIL") and line.endswith("not listed: XRPKRW")
    double.now = datetime.now(UTC) - timedelta(seconds=30)  # the double's Date header
    await run_selftest(upbit_settings(tmp_path, url), online=True)
    assert exchange_line(capsys.readouterr().out).startswith("FAIL")


async def test_doctor_online_checks_the_clock_against_upbit(
    upbit: tuple[UpbitQuotation, str], tmp_path: Path
) -> None:
    out = io.StringIO()
    await run_doctor(upbit_settings(tmp_path, upbit[1]), load_ops_settings(), online=True, out=out)
    [clock] = [line for line in out.getvalue().splitlines() if " clock " in line]
    assert clock.startswith("OK") and "Upbit reachable" in clock and "Binance" not in clock
