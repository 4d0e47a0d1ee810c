"""One trader per data dir (invariant 8). A second `tui-trader` on a data dir in use once
ran too and marked the first's in-flight order REJECTED although it had filled. Now it
refuses at once (exit 4, one line naming the data dir and the holder's pid), headless or
app, while `status` and `kill` keep working beside the running trader; and the lock
dies with its holder, so a trader killed with SIGKILL never blocks the next start."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.app_pty import run_app, screen_drawn
from tests.faults.support import ROOT, assert_one_line_failure, clean_env, run_cli

EXIT_IN_USE = 4
LOCK_FILE = "tui-trader.lock"
OPEN_WITHIN_S = 20.0
RUN_DEADLINE_S = 30.0


class Trader:
    """A real `run --headless --demo` process; its status lines read with a deadline."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui_trader", "run", "--headless", "--demo"],
            env=clean_env(data),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, within: float = OPEN_WITHIN_S) -> str:
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if text in line:
                return line
        raise AssertionError(f"no status line with {text!r} within {within} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def first_trader(tmp_path: Path) -> Iterator[Trader]:
    trader = Trader(tmp_path / "data")
    try:
        trader.wait_for("equity")  # status lines start once the trader is open
        assert (trader.data / LOCK_FILE).read_text().strip() == str(trader.proc.pid)
        yield trader
    finally:
        trader.stop()


@pytest.mark.fault("second instance on one data dir", "exit 4, one line naming the holder pid")
def test_second_instance_refused_while_status_and_kill_work(
    first_trader: Trader, tmp_path: Path
) -> None:
    proc, data = first_trader.proc, first_trader.data
    env = clean_env(data)
    needles = (str(data), f"pid {proc.pid}", "in use")

    assert_one_line_failure(run_cli("run", "--headless", "--demo", env=env), 4, *needles)
    replay = tmp_path / "candles.csv"
    replay.write_text("open_time,open,high,low,close,volume\n")
    refused = run_cli("run", "--headless", "--replay", str(replay), env=env)
    assert_one_line_failure(refused, EXIT_IN_USE, *needles)

    status = run_cli("status", env=env)
    assert status.code == 0 and f"pid {proc.pid} alive" in status.stdout, status
    assert run_cli("kill", "--reason", "beside it", env=env).code == 0
    first_trader.wait_for("HALTED: kill switch", within=5)
    assert proc.poll() is None  # the first one is still the one trading


@pytest.mark.fault("second instance on one data dir", "exit 4, one line naming the holder pid")
def test_second_app_refused_before_drawing(
    first_trader: Trader,
) -> None:
    proc, data = first_trader.proc, first_trader.data
    outcome = run_app("--demo", env=clean_env(data))
    assert not screen_drawn(outcome)
    assert_one_line_failure(outcome, EXIT_IN_USE, str(data), f"pid {proc.pid}")


@pytest.mark.fault("trader killed with SIGKILL", "its lock goes with it; the next start runs")
def test_lock_of_a_killed_trader_never_blocks_a_restart(
    first_trader: Trader,
) -> None:
    proc, data = first_trader.proc, first_trader.data
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert (data / LOCK_FILE).read_text().strip() == str(proc.pid)  # stale content stays
    env = clean_env(data)
    again = run_cli(
        "run", "--headless", "--demo", "--speed", "0", "--duration", "1",
        env=env, deadline=RUN_DEADLINE_S,
    )  # fmt: skip
    assert again.code == 0, again.stderr
    assert "Traceback" not in again.stderr
