"""Start-up failures (invariant 9): each cause, in a real `tui-trader` process, exits
within 5 s with its documented code and one line on stderr, never a traceback or a hang
(the journal's worker threads once kept a failed start alive forever). And the data dir
is owner-only (invariant 11): created 0700 with 0600 files, looser modes fixed at start.

Exit codes (README "Exit codes"): 2 bad configuration, 5 data dir or journal unusable."""

import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.faults.app_pty import after_screen, run_app, screen_drawn
from tests.faults.support import assert_one_line_failure, clean_env, run_cli

EXIT_CONFIG = 2
EXIT_STORAGE = 5
HEADLESS = ("run", "--headless", "--demo")
SHORT_RUN = ("run", "--headless", "--demo", "--speed", "0", "--duration", "1")
RUN_DEADLINE_S = 30.0


@pytest.fixture(scope="module")
def journal_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A journal as a real trader leaves it (a second of the demo at full speed)."""
    data = tmp_path_factory.mktemp("template")
    done = run_cli(*SHORT_RUN, env=clean_env(data), deadline=RUN_DEADLINE_S)
    assert done.code == 0, done.stderr
    return data / "journal.db"


def with_journal(tmp_path: Path, template: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    shutil.copyfile(template, data / "journal.db")
    (data / "journal.db").chmod(0o600)  # owner-only, as the trader leaves it
    return data


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """Not writable for this user. Root ignores modes, so it gets `chattr +i`."""
    if os.geteuid() != 0:
        before = stat.S_IMODE(path.stat().st_mode)
        path.chmod(0o500 if path.is_dir() else 0o400)
        try:
            yield
        finally:
            path.chmod(before)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode != 0:
        pytest.skip("root without a working chattr +i: nothing here is read-only for root")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


# --- configuration ----------------------------------------------------------------------
@pytest.mark.fault("notifier enabled without its secret", "exit 2 within 5 s, one line")
def test_slack_enabled_without_webhook_exits_at_once(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data", SLACK_ENABLED="true")
    assert_one_line_failure(run_cli(*HEADLESS, env=env), EXIT_CONFIG, "SLACK_ENABLED")


@pytest.mark.fault("notifier enabled without its secret", "exit 2 within 5 s, one line")
def test_app_with_slack_enabled_without_webhook_leaves_the_screen(tmp_path: Path) -> None:
    """The app opens the trader under Textual: it leaves the screen, then says why."""
    outcome = run_app("--demo", env=clean_env(tmp_path / "data", SLACK_ENABLED="true"))
    assert_one_line_failure(after_screen(outcome), EXIT_CONFIG, "SLACK_ENABLED")


# --- the data dir -----------------------------------------------------------------------
@pytest.mark.fault("data dir is a regular file", "exit 5 within 5 s, one line")
def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("not a folder")
    outcome = run_cli(*HEADLESS, env=clean_env(data))
    assert_one_line_failure(outcome, EXIT_STORAGE, str(data), "not a directory")


@pytest.mark.fault("data dir is a regular file", "exit 5 within 5 s, one line")
def test_app_refuses_a_data_dir_that_is_a_file_before_drawing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("not a folder")
    outcome = run_app("--demo", env=clean_env(data))
    assert not screen_drawn(outcome)
    assert_one_line_failure(outcome, EXIT_STORAGE, str(data), "not a directory")


@pytest.mark.fault("data dir not writable", "exit 5 within 5 s, one line")
def test_unwritable_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with unwritable(data):
        outcome = run_cli(*HEADLESS, env=clean_env(data))
    assert_one_line_failure(outcome, EXIT_STORAGE, str(data), "not writable")


@pytest.mark.fault("data dir cannot be created", "exit 5 within 5 s, one line")
def test_data_dir_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    data = tmp_path / "file" / "data"
    outcome = run_cli(*HEADLESS, env=clean_env(data))
    assert_one_line_failure(outcome, EXIT_STORAGE, str(data), "cannot create data dir")


# --- the journal ------------------------------------------------------------------------
@pytest.mark.fault("journal with a garbage header", "exit 5 within 5 s, one line")
def test_garbage_journal(tmp_path: Path, journal_template: Path) -> None:
    data = with_journal(tmp_path, journal_template)
    with (data / "journal.db").open("r+b") as db:
        db.write(b"this is not SQLite at all, sorry")
    outcome = run_cli(*HEADLESS, env=clean_env(data))
    assert_one_line_failure(outcome, EXIT_STORAGE, "journal", "not a database")


@pytest.mark.fault("journal with a garbage header", "exit 5 within 5 s, one line")
def test_app_refuses_a_garbage_journal_before_drawing(
    tmp_path: Path, journal_template: Path
) -> None:
    data = with_journal(tmp_path, journal_template)
    with (data / "journal.db").open("r+b") as db:
        db.write(b"this is not SQLite at all, sorry")
    outcome = run_app("--demo", env=clean_env(data))
    assert not screen_drawn(outcome)
    assert_one_line_failure(outcome, EXIT_STORAGE, "journal", "not a database")


@pytest.mark.fault("journal truncated", "exit 5 within 5 s, one line")
def test_truncated_journal(tmp_path: Path, journal_template: Path) -> None:
    data = with_journal(tmp_path, journal_template)
    os.truncate(data / "journal.db", 8192)
    outcome = run_cli(*HEADLESS, env=clean_env(data))
    assert_one_line_failure(outcome, EXIT_STORAGE, "journal", "malformed")


@pytest.mark.fault("journal pages corrupt", "exit 5 within 5 s, one line")
def test_corrupt_journal(tmp_path: Path, journal_template: Path) -> None:
    data = with_journal(tmp_path, journal_template)
    with (data / "journal.db").open("r+b") as db:
        db.seek(4096)  # the header stays valid; the schema and tables behind it do not
        db.write(b"\xff" * 64 * 1024)
    outcome = run_cli(*HEADLESS, env=clean_env(data))
    assert_one_line_failure(outcome, EXIT_STORAGE, "journal", "malformed")


@pytest.mark.fault("journal pages corrupt", "exit 5 within 5 s, one line")
def test_app_with_corrupt_journal_leaves_the_screen(tmp_path: Path, journal_template: Path) -> None:
    data = with_journal(tmp_path, journal_template)
    with (data / "journal.db").open("r+b") as db:
        db.seek(4096)
        db.write(b"\xff" * 64 * 1024)
    outcome = after_screen(run_app("--demo", env=clean_env(data)))
    assert_one_line_failure(outcome, EXIT_STORAGE, "journal", "malformed")


@pytest.mark.fault("journal read-only", "exit 5 within 5 s, one line")
def test_read_only_journal(tmp_path: Path, journal_template: Path) -> None:
    data = with_journal(tmp_path, journal_template)
    with unwritable(data / "journal.db"):
        outcome = run_cli(*HEADLESS, env=clean_env(data))
    assert_one_line_failure(outcome, EXIT_STORAGE, "journal", "readonly")


@pytest.mark.fault("journal locked by another process", "exit 5 within 5 s, one line")
def test_journal_locked_by_another_process(tmp_path: Path, journal_template: Path) -> None:
    """An sqlite3 shell (here: this test process) holding the write lock."""
    data = with_journal(tmp_path, journal_template)
    holder = sqlite3.connect(data / "journal.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        outcome = run_cli(*HEADLESS, env=clean_env(data))
    finally:
        holder.close()
    assert_one_line_failure(outcome, EXIT_STORAGE, "journal", "locked")


# --- owner-only files -----------------------------------------------------------------
def modes(data: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(data.stat().st_mode)}
    for path in data.rglob("*"):
        found[str(path.relative_to(data))] = stat.S_IMODE(path.lstat().st_mode)
    return found


@pytest.mark.fault("new data dir", "0700 dir, 0600 files")
def test_new_data_dir_is_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "home" / "data"
    env = clean_env(data)
    assert run_cli(*SHORT_RUN, env=env, deadline=RUN_DEADLINE_S).code == 0
    assert run_cli("kill", "--reason", "test", env=env).code == 0
    found = modes(data)
    for name in ("journal.db", "logs/tui-trader.log", "logs/orders.jsonl", "KILL_SWITCH"):
        assert name in found, sorted(found)
    assert "tui-trader.lock" in found
    loose = {name: f"{mode:04o}" for name, mode in found.items() if mode & 0o077}
    assert loose == {}
    assert found["."] == 0o700 and found["logs"] == 0o700 and found["journal.db"] == 0o600


@pytest.mark.fault("data dir readable by others", "fixed at start with one warning; doctor says so")
def test_loose_data_dir_is_tightened_with_a_warning(tmp_path: Path, journal_template: Path) -> None:
    data = with_journal(tmp_path, journal_template)
    (data / "logs").mkdir()
    (data / "logs" / "orders.jsonl").write_text("")
    for path, mode in ((data, 0o755), (data / "logs", 0o755)):
        path.chmod(mode)
    for path in (data / "journal.db", data / "logs" / "orders.jsonl"):
        path.chmod(0o644)
    env = clean_env(data)

    doctor = run_cli("doctor", env=env, deadline=RUN_DEADLINE_S)
    line = next(ln for ln in doctor.stdout.splitlines() if "data dir" in ln)
    assert line.startswith("WARN") and "journal.db 0644" in line, doctor.stdout

    outcome = run_cli(*SHORT_RUN, env=env, deadline=RUN_DEADLINE_S)
    assert outcome.code == 0, outcome.stderr
    assert outcome.stderr.count("readable by others") == 1, outcome.stderr
    assert {name: mode for name, mode in modes(data).items() if mode & 0o077} == {}
