"""`tui-trader kill` says "new orders blocked" only once the running trader has applied
the kill (its acknowledgement); without a trader it says the kill is recorded; a trader
that does not answer (stopped with SIGSTOP) gets "not confirmed yet" and exit 1.

A real headless trader runs on the simulated market; its log is written synchronously,
in order, so the moment the trader applied the kill is its "kill switch activated" line."""

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.support import ROOT, clean_env, run_cli
from tui_trader.app.datadir import in_use

APPLIED_LINE = "kill switch activated by cli"


def log_text(data: Path) -> str:
    path = data / "logs" / "tui-trader.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def run_started(data: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{data / 'journal.db'}?mode=ro", uri=True) as conn:
            (runs,) = conn.execute("SELECT count(*) FROM engine_runs").fetchone()
    except sqlite3.Error:
        return False  # not created yet
    return isinstance(runs, int) and runs > 0


@pytest.fixture
def trader(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A running headless trader on tmp_path; stopped (SIGINT) at the end."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_trader", "run", "--headless", "--demo", "--speed", "1"],
        env=clean_env(tmp_path),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (in_use(tmp_path) and run_started(tmp_path)):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the trader did not start"
            time.sleep(0.05)
        yield proc
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.mark.fault("kill while a trader runs", "printed only after the trader applied it")
def test_kill_reports_applied_only_after_the_trader_applied_it(
    tmp_path: Path, trader: subprocess.Popen[str]
) -> None:
    assert APPLIED_LINE not in log_text(tmp_path)
    done = run_cli("kill", "--reason", "fault test", env=clean_env(tmp_path), deadline=10)
    applied_at_return = APPLIED_LINE in log_text(tmp_path)  # read before anything else
    assert done.code == 0, done.stderr
    assert f"applied by the running trader (pid {trader.pid})" in done.stdout
    assert "new orders blocked" in done.stdout
    assert applied_at_return, "kill said 'applied' before the trader had applied it"


@pytest.mark.fault("kill while the trader hangs", "'not confirmed yet', exit 1")
def test_kill_without_an_acknowledgement_says_so_and_fails(
    tmp_path: Path, trader: subprocess.Popen[str]
) -> None:
    trader.send_signal(signal.SIGSTOP)  # alive and holding the data dir, but not answering
    started = time.monotonic()
    done = run_cli("kill", "--reason", "fault test", env=clean_env(tmp_path), deadline=10)
    assert done.code == 1 and "new orders blocked" not in done.stdout
    assert f"the trader (pid {trader.pid}) has not confirmed yet" in done.stderr
    assert 3.0 <= time.monotonic() - started < 8.0
    trader.send_signal(signal.SIGCONT)  # the kill file is still there: it halts now
    deadline = time.monotonic() + 5
    while APPLIED_LINE not in log_text(tmp_path):
        assert time.monotonic() < deadline, "the resumed trader never applied the kill"
        time.sleep(0.05)


@pytest.mark.fault("kill with no trader running", "recorded; starts halted")
def test_kill_with_no_trader_running_is_recorded(tmp_path: Path) -> None:
    done = run_cli("kill", "--reason", "fault test", env=clean_env(tmp_path))
    assert done.code == 0, done.stderr
    assert done.stdout.startswith(
        "kill switch recorded; no trader is running — it will start halted."
    )
    assert (tmp_path / "KILL_SWITCH").exists()
