"""A headless run started while the kill switch is active (issue #14 item 5): its last
line says exactly how to clear the kill, and after `tui-trader kill --clear --yes` a new
headless run starts and stops cleanly."""

from pathlib import Path

import pytest

from tests.faults.support import clean_env, run_cli
from tui_trader.app.startup import EXIT_KILLED
from tui_trader.safety.kill_switch import KillSwitch

RUN = ("run", "--headless", "--demo", "--duration", "1")


@pytest.mark.fault("headless start while killed", "exit 3 naming the clear command; clears")
def test_headless_run_while_killed_names_the_clear_then_starts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = clean_env(data)
    killed = run_cli("kill", "--reason", "fault test", env=env, deadline=20)
    assert killed.code == 0, killed.stderr
    assert KillSwitch(data).active

    refused = run_cli(*RUN, env=env, deadline=30)
    assert refused.code == EXIT_KILLED, refused.stderr
    assert "Traceback" not in refused.stderr
    # The headless run logs to the console too; its last word is what to do.
    last = refused.stderr.strip().splitlines()[-1]
    assert last == (
        "tui-trader: not started: kill switch is active; "
        "clear it with `tui-trader kill --clear --yes`"
    )

    cleared = run_cli("kill", "--clear", "--yes", env=env, deadline=20)
    assert cleared.code == 0 and "kill switch cleared" in cleared.stdout, cleared.stderr
    assert not KillSwitch(data).active

    again = run_cli(*RUN, env=env, deadline=30)
    assert again.code == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert "RUNNING" in again.stdout  # the status line: trading started
