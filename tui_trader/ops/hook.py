"""The weekly job hook (WEEKLY_HOOK): a command the operator names (a report, a backup,
a model retraining) run once a week at the clock-aligned time, beside the trader and
never blocking it. The command line is split like a shell would but run without one;
it gets TUI_TRADER_DATA_DIR in its environment. Its outcome is a safety event: INFO with
the last line it printed, WARNING when it fails, cannot start or runs past its timeout
(it is then killed)."""

import asyncio
import contextlib
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from tui_trader.text_safety import printable

TAIL_CHARS = 200


@dataclass(frozen=True, slots=True)
class HookOutcome:
    ok: bool
    text: str  # one line: the exit status and the last output line, or why it failed


async def run_hook(command: str, data_dir: Path, timeout_s: float) -> HookOutcome:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return HookOutcome(False, f"WEEKLY_HOOK cannot be split into words: {exc}")
    env = os.environ | {"TUI_TRADER_DATA_DIR": str(data_dir)}
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    except OSError as exc:
        return HookOutcome(False, f"weekly hook {argv[0]!r} did not start: {exc}")
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return HookOutcome(False, f"weekly hook {argv[0]!r} killed after {timeout_s:g} s")
    lines = output.decode("utf-8", "replace").strip().splitlines()
    last = printable(lines[-1], TAIL_CHARS) if lines else "no output"
    status = process.returncode
    return HookOutcome(status == 0, f"weekly hook {argv[0]!r} exited {status}: {last}")
