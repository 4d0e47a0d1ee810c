"""One-shot commands that read or poke a trader from another process: status, kill,
export. They only read the journal (read-only) and write the kill switch file."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from tui_trader.app.datadir import holder_pid, in_use
from tui_trader.config import Settings
from tui_trader.journal import export_csv, read_status
from tui_trader.journal.errors import JournalError
from tui_trader.runtime.build_trader import journal_path
from tui_trader.safety.kill_ack import ACK_DEADLINE_S, clear_ack, wait_for_ack
from tui_trader.safety.kill_switch import KillState, KillSwitch, KillSwitchError


def _kill_line(settings: Settings) -> str:
    state = KillSwitch(settings.data_path).read()
    if state is None:
        return "kill switch: off"
    extra = ", closing positions" if state.close_positions else ""
    return f"kill switch: ACTIVE since {state.activated_at} ({state.source}: {state.reason}{extra})"


async def print_status(settings: Settings) -> int:
    print(f"data dir: {settings.data_path}")
    print(_kill_line(settings))
    try:
        report = await read_status(journal_path(settings))
    except JournalError as exc:
        print(f"journal: {exc}", file=sys.stderr)
        return 1
    for line in report.lines(settings.quote_asset):
        print(line)
    return 0


def kill_command(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 once the running trader confirmed the kill (or none runs: it is recorded
    and the next start is halted), 1 when the trader did not confirm in time or the file
    could not be written, 2 for --clear without --yes."""
    switch = KillSwitch(settings.data_path)
    try:
        if args.clear:
            if not args.yes:
                print(
                    "tui-trader: refusing to clear the kill switch without --yes", file=sys.stderr
                )
                return 2
            cleared = switch.clear()
            clear_ack(settings.data_path)
            print("kill switch cleared" if cleared else "kill switch was not active")
            return 0
        state = switch.activate(
            datetime.now(UTC), "cli", args.reason, close_positions=args.close_positions
        )
    except KillSwitchError as exc:
        print(f"tui-trader: {exc}", file=sys.stderr)
        return 1
    return _report_kill(settings.data_path, state)


def _report_kill(data_dir: Path, state: KillState) -> int:
    """Say what is true now: "new orders blocked" only after the trader said so."""
    positions = "positions will be closed" if state.close_positions else "positions kept"
    clear = "Clear with `tui-trader kill --clear --yes`."
    if not in_use(data_dir):  # one probe: it takes the lock's shared side for an instant
        print(f"kill switch recorded; no trader is running — it will start halted. {clear}")
        return 0
    pid = holder_pid(data_dir)
    ack = wait_for_ack(data_dir, state, pid)
    if ack is None:
        who = f"the trader (pid {pid})" if pid else "the trader"
        print(
            f"tui-trader: kill switch requested; {who} has not confirmed yet "
            f"(within {ACK_DEADLINE_S:g} s) — check `tui-trader status`",
            file=sys.stderr,
        )
        return 1
    print(
        f"kill switch ACTIVE: applied by the running trader (pid {ack.pid}): new orders "
        f"blocked, open orders being cancelled, {positions}. {clear}"
    )
    return 0


async def export_command(
    settings: Settings, kind: Literal["orders", "fills", "trades"], out: Path
) -> int:
    try:
        rows = await export_csv(journal_path(settings), kind, out)
    except (JournalError, OSError) as exc:
        print(f"tui-trader: export failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {rows} {kind} rows to {out}")
    return 0
