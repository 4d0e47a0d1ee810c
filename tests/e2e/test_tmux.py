"""The cockpit as an operator meets it: `tui-trader --demo` inside a detached tmux session,
driven with `tmux send-keys` and read with `tmux capture-pane -p`, at 80x24 and 160x48.
The exit status comes from a wrapper shell; the journal must show the run."""

import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_trader.journal.reader import RunInfo, latest_run
from tui_trader.journal.schema import open_readonly
from tui_trader.runtime.build_trader import JOURNAL_FILE

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TMUX = shutil.which("tmux")


class Tmux:
    """One detached session on a private tmux server, so nothing else is touched."""

    def __init__(
        self,
        tmp: Path,
        size: tuple[int, int],
        args: tuple[str, ...] = ("--demo",),
        env: dict[str, str] | None = None,
    ) -> None:
        self.socket = f"tui-trader-e2e-{os.getpid()}-{size[0]}-{tmp.name}"
        self.data = tmp / "data"
        self.status_file = tmp / "exit-status"
        self.size, self.args, self.env = size, args, env or {}

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        done = subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self) -> None:
        app = shlex.join([sys.executable, "-m", "tui_trader", *self.args])
        env = {"TUI_TRADER_DATA_DIR": str(self.data), **self.env}
        assigned = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        # COLUMNS/LINES from the test runner would override the pane size.
        script = (
            f"unset COLUMNS LINES; cd {shlex.quote(str(ROOT))} && {assigned} {app}; "
            f"echo $? > {shlex.quote(str(self.status_file))}"
        )
        width, height = self.size
        self.tmux(
            "new-session", "-d", "-s", "cockpit", "-x", str(width), "-y", str(height),
            "sh", "-c", script,
        )  # fmt: skip

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "cockpit")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "cockpit", key)
            time.sleep(0.15)

    def wait_for(self, *texts: str, gone: bool = False, within: float = 20) -> str:
        deadline = time.monotonic() + within
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen() if not self.status_file.exists() else screen
            if all((text in screen) != gone for text in texts):
                return screen
            time.sleep(0.1)
        verb = "to go" if gone else "to appear"
        raise AssertionError(f"waited for {texts} {verb}; the screen was:\n{screen}")

    def exit_status(self, within: float = 45) -> int:
        deadline = time.monotonic() + within
        while not self.status_file.exists() or not self.status_file.read_text().strip():
            if time.monotonic() > deadline:
                raise AssertionError(f"the app did not exit; the screen was:\n{self.screen()}")
            time.sleep(0.1)
        return int(self.status_file.read_text())

    def close(self) -> None:
        subprocess.run([TMUX or "tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture(params=[(80, 24), (160, 48)], ids=["80x24", "160x48"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tmux]:
    if TMUX is None:
        pytest.skip("the tmux binary is not installed (.ci/run installs it with apt-get)")
    tmux = Tmux(tmp_path, request.param)
    tmux.start()
    try:
        yield tmux
    finally:
        tmux.close()


def journal_run(data: Path) -> RunInfo | None:
    async def read() -> RunInfo | None:
        async with open_readonly(data / JOURNAL_FILE) as conn:
            return await latest_run(conn)

    return asyncio.run(read())


def test_operator_session_in_tmux(session: Tmux) -> None:
    screen = session.wait_for("Prices", "BTCUSDT", "ETHUSDT", "PAPER", "IDLE", "REDUCING")
    if session.size == (80, 24):
        assert "1 Positions" in screen and "6 Log" in screen
        # The log panel is a hidden tab here: prices flowing say the trader is open (its
        # feed starts only then). A quit while it is still opening ends no run.
        session.wait_for("no data", gone=True)
    else:
        session.wait_for("Account & PnL", "Orders & fills", "Safety events", "LLM advisor off")
        session.wait_for("Equity", "10,000.00 USDT", "trader open")

    session.keys("s")
    screen = session.wait_for("RUNNING", "ACTIVE")
    first = screen.splitlines()[0].strip()
    # The mode badge fits the terminal from the first frame: the venue beside it only on
    # a one-line header (a badge drawn wide, then narrowed, once kept its old width).
    wanted = "PAPER  RUNNING" if session.size == (80, 24) else "PAPER · sim  RUNNING"
    assert first.startswith(wanted), first

    session.keys("k")
    dialog = session.wait_for("KILL SWITCH", "Yes, activate kill switch")
    assert "block every new order" in dialog and "cancel 0 open orders" in dialog
    session.keys("Enter")  # Cancel has the focus
    screen = session.wait_for("KILL SWITCH", gone=True)
    assert "RUNNING" in screen and "ACTIVE" in screen and "HALTED" not in screen

    session.keys("q")
    session.wait_for("Trading is RUNNING")
    session.keys("Tab", "Enter")  # from Cancel to Quit
    assert session.exit_status() == 0

    run = journal_run(session.data)
    assert run is not None
    assert (run.mode, run.market, run.feed) == ("paper", "spot", "sim")
    assert run.ended_at is not None and run.ended_at >= run.started_at
    assert run.state == "IDLE"  # quitting stopped the engine and ended the run cleanly
    assert not (session.data / "KILL_SWITCH").exists()
