"""VENUE=upbit in a real `tui-trader` process: settings Upbit cannot honour stop it with
one line and exit 2 (Upbit has spot markets and no test environment); an
unreachable Upbit is paper trading on the SIMULATED market, said out loud; a reachable
one (the local double, a process of its own) is the feed the run records."""

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.support import ROOT, assert_one_line_failure, clean_env, run_cli

UPBIT = {"VENUE": "upbit", "QUOTE_ASSET": "KRW", "SYMBOLS": "BTCKRW,ETHKRW"}
RUN = ("run", "--headless", "--duration", "3")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def upbit_env(data: Path, port: int, **extra: str) -> dict[str, str]:
    urls = {"UPBIT_API_URL": f"http://127.0.0.1:{port}",
            "UPBIT_WS_URL": f"ws://127.0.0.1:{port}/websocket/v1"}  # fmt: skip
    return clean_env(data, **(UPBIT | urls | extra))


def journal_rows(data: Path, query: str) -> list[tuple[str, ...]]:
    with sqlite3.connect(data / "journal.db") as db:
        return db.execute(query).fetchall()


@pytest.fixture
def upbit_double() -> Iterator[int]:
    """The Upbit double on its own (a market moving every second); yields its port."""
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.doubles.upbit_stream", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and "upbit double on" in child.stdout.readline()
        yield port
    finally:
        child.terminate()
        child.wait(5)


@pytest.mark.fault("upbit settings", "exit 2, one line naming what Upbit cannot do")
@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"BINANCE_ENV": "testnet"}, "Upbit has no test environment"),
        ({"QUOTE_ASSET": "EUR", "SYMBOLS": "BTCEUR"}, "QUOTE_ASSET=EUR is not an Upbit market"),
        ({"MARKET_TYPE": "futures"}, "Upbit is spot only"),
    ],
)
def test_what_upbit_cannot_do_is_refused_before_anything_starts(
    tmp_path: Path, extra: dict[str, str], needle: str
) -> None:
    outcome = run_cli(*RUN, env=upbit_env(tmp_path / "data", free_port(), **extra))
    assert_one_line_failure(outcome, 2, "VENUE=upbit", needle)
    assert not (tmp_path / "data" / "journal.db").exists()


@pytest.mark.fault("upbit unreachable", "paper on the SIMULATED market, said out loud")
def test_unreachable_upbit_is_the_simulated_market_said_out_loud(tmp_path: Path) -> None:
    data = tmp_path / "data"
    outcome = run_cli(*RUN, env=upbit_env(data, free_port()), deadline=30)
    assert outcome.code == 0, outcome.stderr
    [(message,)] = journal_rows(
        data, "SELECT message FROM safety_events WHERE kind = 'exchange_unreachable'"
    )
    assert message.startswith("Upbit unreachable: ClientConnectorError")
    assert message.endswith("SIMULATED market, not on live prices; trying Upbit again")
    assert journal_rows(data, "SELECT feed FROM engine_runs") == [("sim (Upbit unreachable)",)]


@pytest.mark.fault("upbit reachable", "paper on Upbit's prices, the run records feed=upbit")
def test_a_run_on_upbit_trades_paper_on_its_data(tmp_path: Path, upbit_double: int) -> None:
    data = tmp_path / "data"
    started = time.monotonic()
    outcome = run_cli(*RUN, env=upbit_env(data, upbit_double), deadline=30)
    assert outcome.code == 0, outcome.stderr
    assert time.monotonic() - started < 20
    assert "PAPER equity 10000 KRW day +0 (+0.00%) exp 0 " in outcome.stdout
    assert journal_rows(data, "SELECT feed FROM engine_runs") == [("upbit",)]
    kinds = {kind for (kind,) in journal_rows(data, "SELECT kind FROM safety_events")}
    assert "exchange_connected" in kinds and "exchange_unreachable" not in kinds
