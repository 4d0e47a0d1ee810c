"""VENUE=alpaca in a real `tui-trader` process: settings Alpaca cannot honour, or alpaca-py
missing, stop it with one line and exit 2; no keys is paper trading on the SIMULATED
market, said out loud with what to do; a reachable Alpaca (the local doubles, a process
of their own) is the feed the run records."""

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.doubles.alpaca_data import KEY_ID, SECRET
from tests.faults.support import ROOT, assert_one_line_failure, clean_env, run_cli
from tests.faults.test_fault_upbit import free_port, journal_rows

ALPACA = {"VENUE": "alpaca", "QUOTE_ASSET": "USD", "SYMBOLS": "AAPLUSD,MSFTUSD"}
KEYS = {"ALPACA_API_KEY_ID": KEY_ID, "ALPACA_API_SECRET_KEY": SECRET}
RUN = ("run", "--headless", "--duration", "3")


def alpaca_env(data: Path, port: int, **extra: str) -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    urls = {"ALPACA_DATA_URL": base, "ALPACA_TRADING_URL": base,
            "ALPACA_STREAM_URL": f"ws://127.0.0.1:{port}/v2"}  # fmt: skip
    return clean_env(data, **(ALPACA | urls | extra))


@pytest.fixture
def alpaca_double() -> Iterator[int]:
    """The Alpaca doubles on their own (a bar each minute); yields their port."""
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.doubles.alpaca_stream", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and "alpaca double on" in child.stdout.readline()
        yield port
    finally:
        child.terminate()
        child.wait(5)


@pytest.mark.fault("alpaca settings", "exit 2, one line naming what Alpaca cannot do")
@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"QUOTE_ASSET": "USDT", "SYMBOLS": "AAPLUSDT"}, "Alpaca trades US stocks in USD"),
        ({"SYMBOLS": "A1USD"}, "A1USD is not a stock ticker + USD, e.g. AAPLUSD"),
        ({"CANDLE_INTERVAL": "4h"}, "CANDLE_INTERVAL=4h: Alpaca runs on 1m, 5m, 15m, 30m, 1h"),
        ({"MARKET_TYPE": "futures"}, "Alpaca trades stocks, not futures"),
    ],
)
def test_what_alpaca_cannot_do_is_refused_before_anything_starts(
    tmp_path: Path, extra: dict[str, str], needle: str
) -> None:
    outcome = run_cli(*RUN, env=alpaca_env(tmp_path / "data", free_port(), **extra))
    assert_one_line_failure(outcome, 2, "VENUE=alpaca", needle)
    assert not (tmp_path / "data" / "journal.db").exists()


@pytest.mark.fault("alpaca-py missing", "exit 2, one line with the install command")
def test_alpaca_without_its_sdk_says_how_to_install_it(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "alpaca"  # an `alpaca` without the SDK's modules
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    env = alpaca_env(tmp_path / "data", free_port(), PYTHONPATH=str(shadow.parent))
    outcome = run_cli(*RUN, env=env)
    assert_one_line_failure(outcome, 2, "VENUE=alpaca needs alpaca-py", "pip install")
    assert not (tmp_path / "data" / "journal.db").exists()


@pytest.mark.fault("alpaca without keys", "paper on the SIMULATED market, said with what to do")
def test_alpaca_without_keys_is_the_simulated_market_said_out_loud(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = alpaca_env(data, free_port(), SECRETS_BACKEND="cryptfile")
    outcome = run_cli(*RUN, env=env, deadline=30)
    assert outcome.code == 0, outcome.stderr
    [(message,)] = journal_rows(
        data, "SELECT message FROM safety_events WHERE kind = 'exchange_unreachable'"
    )
    assert "run `tui-trader keys set alpaca`, or set ALPACA_API_KEY_ID" in message
    assert message.endswith("SIMULATED market, not on live prices; trying Alpaca again")
    assert journal_rows(data, "SELECT feed FROM engine_runs") == [("sim (Alpaca unreachable)",)]


@pytest.mark.fault("alpaca reachable", "paper on Alpaca's bars, the run records feed=alpaca")
def test_a_run_on_alpaca_trades_paper_on_its_data(tmp_path: Path, alpaca_double: int) -> None:
    data = tmp_path / "data"
    started = time.monotonic()
    outcome = run_cli(*RUN, env=alpaca_env(data, alpaca_double, **KEYS), deadline=30)
    assert outcome.code == 0, outcome.stderr
    assert time.monotonic() - started < 20
    assert "PAPER equity 10000.00 USD day +0.00 (+0.00%) exp 0.00 " in outcome.stdout
    assert journal_rows(data, "SELECT feed FROM engine_runs") == [("alpaca",)]
    kinds = {kind for (kind,) in journal_rows(data, "SELECT kind FROM safety_events")}
    assert "exchange_connected" in kinds and "exchange_unreachable" not in kinds
