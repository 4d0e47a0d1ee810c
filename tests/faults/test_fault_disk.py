"""Disk full while trading (issue #11 item 4), with a real process on a real limit.

Always: RLIMIT_FSIZE in the child (SIGXFSZ ignored, so writes past the limit fail with
EFBIG), which SQLite and the log files meet exactly as they meet a full disk. Where the
sandbox lets root mount: a 3 MiB tmpfs, so the disk is really full (ENOSPC) and a
`tui-trader kill` from another shell must still land (the reserved kill file)."""

import asyncio
import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.faults.support import ROOT, Outcome, assert_one_line_failure, clean_env, run_cli
from tests.trader_support import feed, make_settings, opened, running_engine, sim_events
from tui_trader.app.startup import EXIT_KILLED, EXIT_STORAGE
from tui_trader.core.ledger import Portfolio
from tui_trader.journal.codec import row_balances, row_fill
from tui_trader.journal.errors import JournalError
from tui_trader.journal.spill import spill_path
from tui_trader.safety.kill_switch import KillSwitch

TRADE = ("run", "--headless", "--demo", "--speed", "0")
# What a failing journal may add to stderr: the first failure, the CRITICAL event, the
# entry that was waiting, the quiet log file, the final line. Never one per retry.
MAX_JOURNAL_LINES = 8


def run_limited(data: Path, limit: int, *args: str, deadline: float = 60.0) -> Outcome:
    """`tui-trader ARGS` with every file it writes capped at `limit` bytes."""

    def cap() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "tui_trader", *args],
        env=clean_env(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=deadline,
        stdin=subprocess.DEVNULL,
        preexec_fn=cap,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def assert_quiet_failure(outcome: Outcome) -> None:
    """Failing storage is reported, not stormed: no traceback, one CRITICAL event."""
    err = outcome.stderr
    assert "Traceback" not in err and "Logging error" not in err, err[-3000:]
    lines = err.splitlines()
    assert len(lines) < 400, len(lines)  # was 389,645 lines in 150 s
    journal = [line for line in lines if "journal" in line]
    assert len(journal) <= MAX_JOURNAL_LINES, "\n".join(journal)
    assert sum("journal_failed" in line for line in lines) == 1, journal
    assert sum("cannot write the log file" in line for line in lines) <= 1


def assert_books_balance(data: Path) -> None:
    """What reached the disk is a consistent prefix: every order has its intent, no
    client id twice, and the fills up to the last balance snapshot give its balances."""
    conn = sqlite3.connect(data / "journal.db")
    conn.row_factory = sqlite3.Row
    try:
        intents = {r[0] for r in conn.execute("SELECT client_order_id FROM intents")}
        orders = [r[0] for r in conn.execute("SELECT client_order_id FROM orders")]
        snap = conn.execute("SELECT * FROM balance_snapshots ORDER BY id DESC LIMIT 1").fetchone()
        fills = [row_fill(r) for r in conn.execute("SELECT * FROM fills ORDER BY id")]
    finally:
        conn.close()
    intents |= spilled_ids(data / "journal.db")  # exits journaled beside a stuck journal
    assert orders and set(orders) <= intents  # no order without a durable intent
    assert len(orders) == len(set(orders))
    assert snap is not None
    taken, held, _ = row_balances(snap)
    books = Portfolio.replay(
        "USDT", {"USDT": Decimal("10000")}, [f for f in fills if f.ts <= taken], base_of=_base
    )
    replayed = {a: b.total for a, b in books.balances().items() if b.total}
    assert replayed == {a: b.total for a, b in held.items() if b.total}


def spilled_ids(db: Path) -> set[str]:
    """Client ids in the exit-intent log (first column of an intents row)."""
    live = spill_path(db)
    ids: set[str] = set()
    for path in (live, live.with_name(live.name + ".replaying")):
        if path.exists():
            ids |= {json.loads(line)["row"][0] for line in path.read_text().splitlines()}
    return ids


def _base(symbol: str) -> str:
    return symbol.removesuffix("USDT")


@pytest.mark.fault(
    "disk full while trading",
    "entries stop, 1 CRITICAL event, logging quiet, exit 5 one line, restart refuses",
)
def test_file_size_limit_while_trading(tmp_path: Path) -> None:
    data = tmp_path / "data"
    trading = run_limited(data, 3 * 1024 * 1024, *TRADE, "--duration", "10")
    assert_quiet_failure(trading)
    last = trading.stderr.splitlines()[-1]
    assert trading.code == EXIT_STORAGE, trading.stderr[-2000:]
    assert last.startswith("tui-trader: ") and "records not written" in last, last
    assert_books_balance(data)

    # Still "full": the restart refuses at once, one line, before any order.
    refused = run_limited(data, 4096, *TRADE, "--duration", "3", deadline=10)
    assert_one_line_failure(refused, EXIT_STORAGE, "cannot be written")

    # Room again: it starts, and exits journaled beside the stuck journal are folded in.
    spilled = spilled_ids(data / "journal.db")
    recovered = run_cli(*TRADE, "--duration", "2", env=clean_env(data), deadline=30)
    assert recovered.code == 0, recovered.stderr[-2000:]
    assert spilled_ids(data / "journal.db") == set()
    conn = sqlite3.connect(data / "journal.db")
    try:
        journaled = {r[0] for r in conn.execute("SELECT client_order_id FROM intents")}
    finally:
        conn.close()
    assert spilled <= journaled


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "8m") -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def wait_for(predicate: object, timeout: float) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.fault(
    "disk full while trading",
    "a kill from another shell still lands; restart refuses until space is freed, then killed",
)
def test_really_full_disk_kill_still_lands(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "small") as disk:
        data = disk / "data"
        data.mkdir()
        ballast = disk / "ballast"  # freed later, as an operator would
        ballast.write_bytes(b"\0" * 4 * 1024 * 1024)
        trader = subprocess.Popen(
            [sys.executable, "-m", "tui_trader", *TRADE, "--duration", "30"],
            env=clean_env(data),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            wait_for(lambda: os.statvfs(disk).f_bavail == 0, 25)
            killed = run_cli("kill", "--reason", "disk full", env=clean_env(data))
            # 1: the trader halts but its acknowledgement file cannot be written either.
            assert killed.code in (0, 1), killed.stderr
            time.sleep(1.0)  # the kill watcher polls every 0.2 s
            os.kill(trader.pid, signal.SIGTERM)
            _, err = trader.communicate(timeout=20)
        finally:
            if trader.poll() is None:
                trader.kill()
                trader.wait()
        state = KillSwitch(data).read()
        assert state is not None and state.reason == "disk full"  # on a full disk
        assert "Traceback" not in err and "Logging error" not in err, err[-3000:]
        assert len(err.splitlines()) < 400
        assert trader.returncode == EXIT_STORAGE, err[-2000:]
        assert "kill switch activated by cli: disk full" in err  # the trader halted

        refused = run_cli(*TRADE, "--duration", "3", env=clean_env(data), deadline=10)
        assert_one_line_failure(refused, EXIT_STORAGE, "cannot be written")

        ballast.unlink()
        still_killed = run_cli(*TRADE, "--duration", "3", env=clean_env(data), deadline=15)
        assert still_killed.code == EXIT_KILLED, still_killed.stderr


def fill(disk: Path) -> Path:
    """Take every free byte of `disk`, as a runaway log of another program would."""
    ballast = disk / "ballast"
    with ballast.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
            out.flush()
    return ballast


@pytest.mark.fault(
    "kill switch cannot be written",
    "halted in memory; retried each second; a restart on the full disk refuses",
)
async def test_a_kill_that_cannot_be_written_still_blocks_the_restart(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "small", size="4m") as disk:
        settings = make_settings(disk / "data")
        trader = opened(settings)
        # Closing says the trader's last records could not be written.
        with pytest.raises(JournalError, match="records not written"):
            async with running_engine(trader):
                await feed(trader, sim_events(trader), 10)
                await trader.start()
                # Not ENOSPC, so not even the reserve or an empty kill file stands in.
                (disk / "data" / "KILL_SWITCH.tmp").mkdir()
                ballast = fill(disk)
                await trader.kill()
                assert trader.kill_state is not None and trader.kill_unpersisted
                assert not trader.core.state.entries_allowed
        with pytest.raises(JournalError, match="cannot be written"):
            await opened(settings).open()  # refuses to trade: the disk is still full

        # Freed while a killed trader runs: its watcher writes the kill within a second.
        second = opened(settings)
        ballast.unlink()
        async with running_engine(second):
            await second.kill()  # KILL_SWITCH.tmp is still in the way
            assert second.kill_unpersisted and KillSwitch(disk / "data").read() is None
            (disk / "data" / "KILL_SWITCH.tmp").rmdir()  # the operator fixes the disk
            watcher = asyncio.create_task(second.commands.watch_kill_switch())
            await asyncio.sleep(1.5)
            watcher.cancel()
        state = KillSwitch(disk / "data").read()
        assert state is not None and state.reason == "kill switch pressed"
        restarted = opened(settings)
        async with running_engine(restarted):
            assert restarted.kill_state is not None  # the restart is still killed
