"""The weekly job hook: a command run beside the trader, its outcome one line: the exit
status and its last output line, or why it failed (cannot start, killed at the timeout,
a command line that does not split); it sees the data dir."""

import sys
from pathlib import Path

from tui_trader.ops.hook import run_hook

PY = sys.executable


async def test_a_hook_that_works_reports_its_last_line_and_sees_the_data_dir(
    tmp_path: Path,
) -> None:
    script = (
        "import os; print('step 1'); print('report sent for', os.environ['TUI_TRADER_DATA_DIR'])"
    )
    outcome = await run_hook(f'{PY} -c "{script}"', tmp_path, 10)
    assert outcome.ok
    assert outcome.text.endswith(f"exited 0: report sent for {tmp_path}")


async def test_a_failing_hook_is_not_ok_with_its_status(tmp_path: Path) -> None:
    outcome = await run_hook(f"{PY} -c \"import sys; print('no disk'); sys.exit(3)\"", tmp_path, 10)
    assert not outcome.ok and outcome.text.endswith("exited 3: no disk")


async def test_a_hung_hook_is_killed_at_its_timeout(tmp_path: Path) -> None:
    outcome = await run_hook(f'{PY} -c "import time; time.sleep(30)"', tmp_path, 0.5)
    assert not outcome.ok and "killed after 0.5 s" in outcome.text


async def test_a_missing_command_or_a_broken_line_is_said(tmp_path: Path) -> None:
    missing = await run_hook(str(tmp_path / "no-such-script"), tmp_path, 5)
    assert not missing.ok and "did not start" in missing.text
    broken = await run_hook('report "unclosed', tmp_path, 5)
    assert not broken.ok and "cannot be split into words" in broken.text
