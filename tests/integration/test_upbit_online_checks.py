"""`selftest --online` and `doctor --online` on VENUE=upbit ask Upbit (the local double),
not Binance: reachable, the symbols listed, the clock against its Date header; an Upbit
that cannot be reached or answers garbage is one FAIL line and exit 1."""

import asyncio
import io
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.doubles.upbit_quotation import UpbitQuotation, upbit_quotation
from tests.faults.support import clean_env, run_cli
from tests.trader_support import make_settings
from tui_trader.app.doctor import run_doctor
from tui_trader.app.selftest import run_selftest
from tui_trader.config import Settings
from tui_trader.ops.settings import load_ops_settings
from tui_trader.upbit.probe import ProbeFailed, reach_upbit


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


def closed_url() -> str:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def doctor_lines(out: str, name: str) -> list[str]:
    return [line for line in out.splitlines() if line[5:].startswith(f"{name} ")]


async def test_selftest_online_fails_in_one_line_when_upbit_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    code = await run_selftest(upbit_settings(tmp_path, closed_url()), online=True)
    line = exchange_line(capsys.readouterr().out)
    assert code == 1 and time.monotonic() - started < 5
    assert line.startswith("FAIL") and "Upbit unreachable: ClientConnectorError" in line


@pytest.mark.parametrize(
    ("fault", "needle"),
    [("garbage", "not JSON"), ("error", "Upbit error invalid_parameter: 잘못된 파라미터")],
)
async def test_selftest_online_fails_in_one_line_on_a_reply_upbit_would_not_send(
    upbit: tuple[UpbitQuotation, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fault: str,
    needle: str,
) -> None:
    double, url = upbit
    double.instrument_faults.append(fault)
    code = await run_selftest(upbit_settings(tmp_path, url), online=True)
    line = exchange_line(capsys.readouterr().out)
    assert code == 1 and line.startswith("FAIL") and "Upbit's answer is unusable" in line
    assert needle in line and "\x1b" not in line


async def test_doctor_online_fails_on_an_unlisted_symbol_and_an_unreachable_upbit(
    upbit: tuple[UpbitQuotation, str], tmp_path: Path
) -> None:
    settings = upbit_settings(tmp_path, upbit[1], "BTCKRW,XRPKRW")
    out = io.StringIO()
    assert await run_doctor(settings, load_ops_settings(), online=True, out=out) == 1
    [clock] = doctor_lines(out.getvalue(), "clock")
    assert clock.startswith("FAIL") and clock.endswith("not listed: XRPKRW")
    out = io.StringIO()
    settings = upbit_settings(tmp_path, closed_url())
    assert await run_doctor(settings, load_ops_settings(), online=True, out=out) == 1
    [clock] = doctor_lines(out.getvalue(), "clock")
    assert clock.startswith("FAIL") and "Upbit unreachable: ClientConnectorError" in clock


async def test_an_upbit_that_accepts_and_never_answers_fails_at_the_deadline() -> None:
    async def silent(reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
        await reader.read()  # reads the request, never answers, until the client goes

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    started = time.monotonic()
    async with server:
        with pytest.raises(
            ProbeFailed, match=r"no answer from http://127\.0\.0\.1:\d+ within 0\.5 s"
        ):
            await reach_upbit(f"http://127.0.0.1:{port}", ("BTCKRW",), timeout_s=0.5)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("command", ["selftest", "doctor"])
def test_the_command_on_an_unreachable_upbit_exits_1_with_one_fail_line(
    tmp_path: Path, command: str
) -> None:
    env = clean_env(tmp_path / "data", VENUE="upbit", QUOTE_ASSET="KRW", SYMBOLS="BTCKRW",
                    UPBIT_API_URL=closed_url())  # fmt: skip
    outcome = run_cli(command, "--online", env=env, deadline=15)
    assert outcome.code == 1, outcome.stderr
    assert "Traceback" not in outcome.stdout + outcome.stderr
    [failed] = [line for line in outcome.stdout.splitlines() if line.startswith("FAIL")]
    assert "Upbit unreachable: ClientConnectorError" in failed
