"""A lost journal (issue #11 item 5): a data dir that was used before but whose journal is
missing, empty or without a schema must not silently become a fresh 10,000 USDT account.
Starting over is explicit (`--new-account`); a brand-new data dir still just works."""

import sqlite3
from pathlib import Path

import pytest

from tests.faults.support import Outcome, assert_one_line_failure, clean_env, run_cli
from tui_trader.app.startup import EXIT_CONFIG

RUN = ("run", "--headless", "--demo", "--speed", "0", "--duration", "2")
DEADLINE = 30.0


def run(data: Path, *args: str) -> Outcome:
    return run_cli(*args, env=clean_env(data), deadline=DEADLINE)


def used_data_dir(tmp_path: Path) -> Path:
    """A data dir after a first run: journal, marker, JSONL history."""
    data = tmp_path / "data"
    first = run(data, *RUN)  # the quick start on a fresh machine needs no flag
    assert first.code == 0, first.stderr[-2000:]
    assert (data / "journal.db").stat().st_size > 0
    return data


def lose(data: Path, how: str) -> None:
    db = data / "journal.db"
    for extra in ("journal.db-wal", "journal.db-shm"):
        (data / extra).unlink(missing_ok=True)
    if how == "missing":
        db.unlink()
    elif how == "empty":
        db.write_bytes(b"")
    else:  # a SQLite file, but not ours: no schema
        db.unlink()
        other = sqlite3.connect(db)
        other.execute("CREATE TABLE notes (x)")
        other.commit()
        other.close()


@pytest.mark.fault(
    "journal lost in a used data dir", "exit 2, one line naming --new-account, nothing traded"
)
@pytest.mark.parametrize("how", ["missing", "empty", "no schema"])
def test_a_lost_journal_refuses_to_start_a_fresh_account(tmp_path: Path, how: str) -> None:
    data = used_data_dir(tmp_path)
    lose(data, how)
    before = sorted(p.name for p in data.iterdir())
    line = assert_one_line_failure(run(data, *RUN), EXIT_CONFIG, "--new-account")
    assert {"missing": "missing", "empty": "0 bytes", "no schema": "no schema"}[how] in line
    assert sorted(p.name for p in data.iterdir()) == before  # nothing created or replaced
    # The terminal app path (`tui-trader --demo`) refuses the same way, before any screen.
    assert_one_line_failure(run(data, "--demo"), EXIT_CONFIG, "--new-account")


@pytest.mark.fault("journal lost in a used data dir", "--new-account starts over on purpose")
def test_new_account_starts_over_on_purpose(tmp_path: Path) -> None:
    data = used_data_dir(tmp_path)
    lose(data, "empty")
    again = run(data, *RUN, "--new-account")
    assert again.code == 0, again.stderr[-2000:]
    conn = sqlite3.connect(data / "journal.db")
    try:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] >= 1
    finally:
        conn.close()
    assert run(data, *RUN).code == 0  # a journal again: no flag needed from now on


@pytest.mark.fault("journal lost in a used data dir", "a brand-new data dir starts without a flag")
def test_a_fresh_data_dir_with_only_app_logs_is_a_first_run(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "logs").mkdir(parents=True)
    (data / "logs" / "tui-trader.log").write_text("an earlier failed start\n")
    outcome = run(data, *RUN)
    assert outcome.code == 0, outcome.stderr[-2000:]
