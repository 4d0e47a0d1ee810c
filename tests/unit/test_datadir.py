"""The data dir module on real folders, files, flocks and SQLite files."""

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_trader.app import datadir
from tui_trader.app.datadir import DataDirError, DataDirInUse


@pytest.fixture(autouse=True)
def keep_umask_and_claim() -> Iterator[None]:
    """claim() changes the process umask and keeps a module-level lock: undo both."""
    before = os.umask(0o022)
    os.umask(before)
    try:
        yield
    finally:
        datadir.release()
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_claim_creates_an_owner_only_dir_with_our_pid_in_the_lock(tmp_path: Path) -> None:
    data = tmp_path / "a" / "data"
    held = datadir.claim(data, "journal.db")
    assert mode(data) == 0o700
    assert mode(data / datadir.LOCK_FILE) == 0o600
    assert datadir.holder_pid(data) == os.getpid()
    assert held.fixed == []
    (data / "new-file").write_text("")  # the umask now makes new files owner-only
    assert mode(data / "new-file") == 0o600


def test_a_second_lock_on_the_same_dir_names_the_holder(tmp_path: Path) -> None:
    fd = datadir.lock(tmp_path)
    try:
        with pytest.raises(DataDirInUse) as refused:
            datadir.lock(tmp_path)  # a new open file: flock refuses it like another process
        assert refused.value.pid == os.getpid()
        assert str(tmp_path) in str(refused.value) and f"pid {os.getpid()}" in str(refused.value)
        assert datadir.in_use(tmp_path)
    finally:
        os.close(fd)
    assert not datadir.in_use(tmp_path)  # closing the descriptor is what frees it
    os.close(datadir.lock(tmp_path))


def test_a_stale_lock_file_does_not_block(tmp_path: Path) -> None:
    (tmp_path / datadir.LOCK_FILE).write_text("999999999\n")
    assert not datadir.in_use(tmp_path)
    fd = datadir.lock(tmp_path)
    os.close(fd)
    assert datadir.holder_pid(tmp_path) == os.getpid()


def test_a_file_is_no_data_dir(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(DataDirError, match="not a directory"):
        datadir.ensure_dir(tmp_path / "file")
    with pytest.raises(DataDirError, match="cannot create data dir"):
        datadir.ensure_dir(tmp_path / "file" / "data")


def test_tighten_takes_group_and_other_access_away(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir(mode=0o755)
    (tmp_path / "logs" / "orders.jsonl").write_text("")
    (tmp_path / "journal.db").write_text("")
    (tmp_path / "tool").write_text("")
    (tmp_path / "link").symlink_to("/etc/hostname")
    tmp_path.chmod(0o755)
    (tmp_path / "logs").chmod(0o775)
    (tmp_path / "logs" / "orders.jsonl").chmod(0o644)
    (tmp_path / "journal.db").chmod(0o666)
    (tmp_path / "tool").chmod(0o755)

    fixed = datadir.tighten(tmp_path)

    assert len(fixed) == 5 and f"{tmp_path / 'journal.db'} 0666 -> 0600" in fixed
    assert mode(tmp_path) == 0o700 and mode(tmp_path / "logs") == 0o700
    assert mode(tmp_path / "journal.db") == 0o600 and mode(tmp_path / "tool") == 0o700
    assert datadir.loose_entries(tmp_path) == []
    assert datadir.tighten(tmp_path) == []


def test_report_fixes_logs_one_warning_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "journal.db").touch(mode=0o644)
    (data / "journal.db").chmod(0o644)
    datadir.claim(data, "journal.db")
    with caplog.at_level(logging.WARNING, logger="tui_trader.app.datadir"):
        datadir.report_fixes()
        datadir.report_fixes()
    assert len(caplog.records) == 1
    assert "journal.db 0644 -> 0600" in caplog.records[0].getMessage()


def make_journal(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.commit()
    conn.close()


def test_probe_accepts_a_writable_journal_and_skips_a_missing_or_empty_one(
    tmp_path: Path,
) -> None:
    datadir.probe_journal(tmp_path / "missing.db")
    (tmp_path / "empty.db").touch()
    datadir.probe_journal(tmp_path / "empty.db")
    make_journal(tmp_path / "journal.db")
    datadir.probe_journal(tmp_path / "journal.db")
    tables = sqlite3.connect(tmp_path / "journal.db").execute("SELECT name FROM sqlite_master")
    assert "tui_trader_write_probe" not in [row[0] for row in tables]  # rolled back


def test_probe_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "journal.db").write_bytes(b"garbage, not SQLite" * 100)
    with pytest.raises(DataDirError, match="not a database"):
        datadir.probe_journal(tmp_path / "journal.db")


def test_probe_refuses_a_journal_another_connection_holds(tmp_path: Path) -> None:
    make_journal(tmp_path / "journal.db")
    holder = sqlite3.connect(tmp_path / "journal.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DataDirError, match="locked"):
            datadir.probe_journal(tmp_path / "journal.db")
    finally:
        holder.close()


def test_a_symlinked_data_dir_has_its_target_tightened(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    target.chmod(0o755)
    (tmp_path / "data").symlink_to(target)
    assert datadir.tighten(tmp_path / "data") == [f"{target} 0755 -> 0700"]
    assert mode(target) == 0o700


def test_a_claim_refused_for_its_journal_keeps_no_lock(tmp_path: Path) -> None:
    (tmp_path / "journal.db").write_bytes(b"garbage, not SQLite" * 100)
    with pytest.raises(DataDirError, match="not a database"):
        datadir.claim(tmp_path, "journal.db")
    assert not datadir.in_use(tmp_path)
