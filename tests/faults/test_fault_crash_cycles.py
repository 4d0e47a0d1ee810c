"""A trader killed with SIGKILL again and again, mid-trade, with orders resting: after
every restart the journal is whole, no intent went out twice, no fill is missing from
the books, and the books balance to the last unit."""

import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.faults.support import ROOT, clean_env, run_cli
from tests.journal_checks import assert_books_balance, audit_orders, query

CYCLES = 5
OPEN_ENTRIES = (
    "SELECT count(*) FROM orders WHERE status IN ('NEW','PARTIALLY_FILLED') AND purpose = 'ENTRY'"
)


def trader(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui_trader", "run", "--headless", "--demo", "--speed", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def wait_for_more_intents(db: Path, than: int, within: float = 60.0) -> None:
    """Until the running trader has journaled new intents (it is mid-trade)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if query(db, "SELECT count(*) FROM intents")[0][0] > than:  # type: ignore[operator]
                return
        except sqlite3.OperationalError:  # the journal is not created yet
            pass
        time.sleep(0.05)
    raise AssertionError(f"no new intent within {within} s")


@pytest.mark.fault("kill -9 mid-trade, repeated", "no duplicate order, no lost fill, books balance")
def test_repeated_kill_9_never_duplicates_or_loses(
    tmp_path: Path, fault_tally: Counter[str]
) -> None:
    # Tiny fill share, long TTL: entries rest partially filled, so crashes find them open.
    env = clean_env(tmp_path, PARTIAL_FILL_SHARE="0.01", ENTRY_ORDER_TTL_SEC="86400")
    db = tmp_path / "journal.db"
    seen = 0
    for _ in range(CYCLES):
        proc = trader(env)
        try:
            wait_for_more_intents(db, seen)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        seen = int(str(query(db, "SELECT count(*) FROM intents")[0][0]))
        fault_tally["crash cycles"] += 1
    # A last, graceful run reconciles what the crashes left and writes its books.
    last = run_cli("run", "--headless", "--demo", "--speed", "0", "--duration", "3", env=env,
                   deadline=60)  # fmt: skip
    assert last.code == 0, last.stderr
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    audit = audit_orders(db)
    fault_tally["orders audited"] += audit.orders
    fault_tally["duplicate orders"] += audit.duplicate_orders + audit.duplicate_fills
    fault_tally["lost fills"] += audit.lost_fills
    assert audit.orders >= CYCLES and (audit.duplicate_orders, audit.duplicate_fills) == (0, 0)
    assert audit.lost_fills == 0
    # The graceful stop cancelled the entries that rested (exits of kept positions stay).
    assert query(db, OPEN_ENTRIES) == [(0,)]
    assert_books_balance(db)
