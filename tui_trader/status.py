"""One-shot commands that read or poke a trader from another process: status, kill,
export. They only read the journal (read-only) and write the kill switch file."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from tui_trader.config import Settings
from tui_trader.journal import export_csv, read_status
from tui_trader.journal.errors import JournalError
from tui_trader.safety.kill_switch import KillSwitch, KillSwitchError
from tui_trader.wiring import journal_path


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
    for line in report.lines():
        print(line)
    return 0


def kill_command(settings: Settings, args: argparse.Namespace) -> int:
    switch = KillSwitch(settings.data_path)
    try:
        if args.clear:
            if not args.yes:
                print(
                    "tui-trader: refusing to clear the kill switch without --yes", file=sys.stderr
                )
                return 2
            cleared = switch.clear()
            print("kill switch cleared" if cleared else "kill switch was not active")
            return 0
        state = switch.activate(
            datetime.now(UTC), "cli", args.reason, close_positions=args.close_positions
        )
    except KillSwitchError as exc:
        print(f"tui-trader: {exc}", file=sys.stderr)
        return 1
    print(
        "kill switch ACTIVE: new orders blocked, open orders will be cancelled"
        + (", positions will be closed" if state.close_positions else ", positions kept")
        + ". A running trader halts within a second. Clear with `tui-trader kill --clear --yes`."
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
