"""Helpers for fault tests that drive a real `tui-trader` process: run it with a deadline
and check that a failure is one line with a documented exit code, never a hang or a
traceback."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A start-up failure must exit within 5 s; the interpreter and imports take ~1 s of that.
START_FAILURE_DEADLINE_S = 5.0


@dataclass(frozen=True, slots=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def clean_env(data: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any setting of ours, pointed at `data`."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL")}
    keep.update({"TUI_TRADER_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"})
    keep.update(extra)
    return keep


def run_cli(
    *args: str, env: dict[str, str], cwd: Path = ROOT, deadline: float = START_FAILURE_DEADLINE_S
) -> Outcome:
    """Run `tui-trader ARGS`; a process still alive at the deadline fails the test."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tui_trader", *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=deadline,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"tui-trader {' '.join(args)} hung past {deadline} s") from exc
    return Outcome(done.returncode, done.stdout, done.stderr)


def assert_one_line_failure(outcome: Outcome, code: int, *needles: str) -> str:
    """The failure is exit `code`, one stderr line naming every needle, no traceback."""
    assert "Traceback" not in outcome.stderr + outcome.stdout, outcome.stderr
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert outcome.code == code, (outcome.code, outcome.stderr)
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]
