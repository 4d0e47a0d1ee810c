"""The headless command as an operator runs it: real processes, real signals, the journal
on disk, `tui-trader kill` and `status` from another process."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.journal_checks import assert_books_balance, query

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def env_for(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.isupper() and not k.startswith("TUI_")}
    env.update({"TUI_TRADER_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}, **extra)
    return env


def cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_trader", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tui_trader", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate: "object", timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return True
        except sqlite3.OperationalError:
            pass  # journal not created yet
        time.sleep(0.05)
    return False


def test_headless_run_stops_on_sigint_and_status_reads_the_journal(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    proc = spawn("run", "--headless", "--demo", "--speed", "0", env=env)
    db = tmp_path / "journal.db"
    assert wait_for(lambda: query(db, "SELECT count(*) FROM fills")[0][0] >= 10, 90)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "RUNNING" in out and "equity" in out
    runs = query(db, "SELECT final_state, ended_at FROM engine_runs")
    assert runs[-1][0] == "IDLE" and runs[-1][1] is not None  # graceful: the run was closed
    status = cli("status", env=env)
    assert status.returncode == 0
    assert "run #1" in status.stdout and "kill switch: off" in status.stdout
    first, last = query(db, "SELECT min(ts), max(ts) FROM fills")[0]
    hours = datetime.fromisoformat(str(last)) - datetime.fromisoformat(str(first))
    assert hours.total_seconds() >= 2 * 3600, "several simulated hours of trading"
    assert_books_balance(db)


def test_kill_from_another_process_stops_orders_within_a_second(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    proc = spawn("run", "--headless", "--demo", "--speed", "0", env=env)
    db = tmp_path / "journal.db"
    try:
        assert wait_for(lambda: query(db, "SELECT count(*) FROM intents")[0][0] >= 2, 60)
        status = cli("status", env=env).stdout
        assert "trading state: ACTIVE (since " in status, status
        result = cli("kill", "--reason", "test", env=env)
        assert result.returncode == 0 and "ACTIVE" in result.stdout
        killed_at = (tmp_path / "KILL_SWITCH").stat().st_mtime
        # One trading state, read by `status` from where it changes: the reason included.
        halted = "trading state: HALTED: kill switch: cli: test"
        assert wait_for(lambda: halted in cli("status", env=env).stdout, 5)
        time.sleep(2.0)  # the market keeps moving; nothing new may be sent
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    # When the running process noticed: its own log line, written at that moment.
    noticed = next(line for line in err.splitlines() if "kill switch activated" in line)
    # Log lines start with the UTC time, ISO-8601 to the millisecond.
    noticed_at = datetime.fromisoformat(noticed[:23]).replace(tzinfo=UTC).timestamp()
    assert noticed_at - killed_at < 1.0, noticed
    # The log is written in order, synchronously: no order may be sent after the kill.
    log = (tmp_path / "logs" / "tui-trader.log").read_text().splitlines()
    kill_line = next(i for i, line in enumerate(log) if "kill switch activated" in line)
    assert any(" sent ENTRY " in line for line in log[:kill_line]), "trading had begun"
    assert [line for line in log[kill_line:] if " sent " in line] == []
    open_orders = "SELECT count(*) FROM orders WHERE status IN ('NEW','PARTIALLY_FILLED')"
    assert query(db, open_orders) == [(0,)]
    # A restart stays killed until cleared on purpose.
    again = cli("run", "--headless", "--demo", "--duration", "1", env=env)
    assert again.returncode == 3 and "kill switch is active" in again.stderr
    assert cli("kill", "--clear", env=env).returncode == 2  # needs --yes
    assert cli("kill", "--clear", "--yes", env=env).returncode == 0
    assert "kill switch: off" in cli("status", env=env).stdout


def test_kill_9_then_restart_keeps_journal_and_orders(tmp_path: Path) -> None:
    # Tiny fill share + long TTL: entries stay open (partially filled) for a long time,
    # so the crash surely happens with orders resting at the paper exchange.
    env = env_for(tmp_path, PARTIAL_FILL_SHARE="0.0005", ENTRY_ORDER_TTL_SEC="86400")
    db = tmp_path / "journal.db"
    proc = spawn("run", "--headless", "--demo", "--speed", "0", env=env)
    open_sql = "SELECT client_order_id FROM orders WHERE status IN ('NEW','PARTIALLY_FILLED')"
    assert wait_for(lambda: len(query(db, open_sql)) >= 1, 60)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    open_before = {row[0] for row in query(db, open_sql)}
    assert open_before

    restart = cli("run", "--headless", "--demo", "--speed", "0", "--duration", "3", env=env)
    assert restart.returncode == 0, restart.stderr
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    ids = [row[0] for row in query(db, "SELECT client_order_id FROM intents")]
    assert len(ids) == len(set(ids))
    trade_ids = query(db, "SELECT symbol, trade_id FROM fills")
    assert len(trade_ids) == len(set(trade_ids))
    # Each order resting at the crash was restored: the graceful stop of the restarted
    # run found it at the paper exchange and cancelled it (or it filled meanwhile).
    for coid in open_before:
        status, reason = query(
            db, f"SELECT status, reason FROM orders WHERE client_order_id='{coid}'"
        )[0]
        assert status in ("CANCELED", "FILLED"), (coid, status, reason)
    runs = query(db, "SELECT id, ended_at FROM engine_runs ORDER BY id")
    assert len(runs) == 2 and runs[0][1] is None and runs[1][1] is not None


def test_malformed_csv_names_the_line(tmp_path: Path) -> None:
    csv = tmp_path / "candles.csv"
    csv.write_text(
        "timestamp,open,high,low,close,volume\n"
        "1700000000000,100,101,99,100.5,10\n"
        "1700000060000,100.5,oops,99,100,10\n"
    )
    result = cli(
        "run",
        "--headless",
        "--replay",
        str(csv),
        "--symbol",
        "BTCUSDT",
        env=env_for(tmp_path / "data"),
    )
    assert result.returncode == 1
    assert f"{csv}:3:" in result.stderr
    assert "Traceback" not in result.stderr


def test_non_positive_price_is_dropped_with_a_safety_event(tmp_path: Path) -> None:
    csv = tmp_path / "candles.csv"
    rows = ["timestamp,open,high,low,close,volume"]
    for i in range(5):
        close = "0" if i == 2 else "100"
        rows.append(f"{1700000000000 + i * 60000},100,100,{close},{close},10")
    csv.write_text("\n".join(rows) + "\n")
    data = tmp_path / "data"
    result = cli(
        "run", "--headless", "--replay", str(csv), "--symbol", "BTCUSDT", env=env_for(data)
    )
    assert result.returncode == 0, result.stderr
    events = query(data / "journal.db", "SELECT kind, message FROM safety_events")
    assert any(kind == "bad_market_data" and "BTCUSDT" in msg for kind, msg in events)


def test_core_imports_no_textual() -> None:
    code = (
        "import sys, pkgutil, importlib, tui_trader\n"
        "for m in pkgutil.walk_packages(tui_trader.__path__, 'tui_trader.'):\n"
        "    if not m.name.startswith(('tui_trader.tui', 'tui_trader.__main__')):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_live_mode_refuses_keys_in_dotenv(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_text("TRADING_MODE=live\nBINANCE_API_SECRET=not-a-real-secret-123\n")
    result = subprocess.run(
        [sys.executable, "-m", "tui_trader", "run", "--headless", "--demo", "--duration", "1"],
        env=env_for(tmp_path / "data"),
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert ".env:2: BINANCE_API_SECRET holds a secret" in result.stderr
    assert "keyring" in result.stderr
    assert "not-a-real-secret-123" not in result.stderr + result.stdout
