"""The data dir of a trading process: one process per data dir, owner-only files.

A process that trades claims the data dir before it opens anything in it: the folder must
be a writable directory (created 0700), an exclusive `flock` on `tui-trader.lock` is held
for the process lifetime (the kernel drops it when the process dies, so a crash never
leaves a stale lock), files left group/world-readable are tightened to 0600, and the
journal must accept a write transaction. Read-only commands never claim it."""

import contextlib
import fcntl
import logging
import os
import sqlite3
import stat
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("tui_trader.app.datadir")

LOCK_FILE = "tui-trader.lock"
DIR_MODE = 0o700
FILE_MODE = 0o600
OWNER_ONLY_UMASK = 0o077
# A journal another process holds a write lock on must fail start-up well within its 5 s.
JOURNAL_PROBE_TIMEOUT_S = 1.5


class DataDirError(Exception):
    """The data dir (or the journal in it) cannot be used; the message says why."""


class DataDirInUse(DataDirError):
    """Another process holds the data dir's lock."""

    def __init__(self, path: Path, pid: int | None) -> None:
        holder = f"pid {pid}" if pid is not None else "an unknown pid"
        super().__init__(f"data dir {path} is in use by another tui-trader ({holder})")
        self.path = path
        self.pid = pid


@dataclass(slots=True)
class DataDirClaim:
    """The held lock (its open file keeps the flock) and what had to be tightened."""

    path: Path
    lock_fd: int
    fixed: list[str] = field(default_factory=list)


# The claim lives as long as the process: closing its descriptor would drop the lock.
_held: DataDirClaim | None = None


def owner_only_umask() -> None:
    """Every file this process creates from now on is 0600, every folder 0700."""
    os.umask(OWNER_ONLY_UMASK)


def claim(path: Path, journal_name: str) -> DataDirClaim:
    """Make `path` a usable data dir for this process, or raise DataDirError."""
    global _held
    if _held is not None and _held.path == path:
        return _held
    owner_only_umask()
    ensure_dir(path)
    fd = lock(path)
    try:
        fixed = tighten(path)
        probe_journal(path / journal_name)
    except BaseException:
        os.close(fd)  # not usable after all: the lock is not ours to keep
        raise
    _held = DataDirClaim(path, fd, fixed)
    return _held


def ensure_dir(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise DataDirError(f"data dir {path} is not a directory (TUI_TRADER_DATA_DIR)")
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(f"cannot create data dir {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataDirError(f"data dir {path} is not writable")


def lock(path: Path) -> int:
    """An exclusive flock on the lock file, with our pid in it; its descriptor."""
    lock_path = path / LOCK_FILE
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    except OSError as exc:
        raise DataDirError(f"data dir {path} is not writable: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirInUse(path, holder_pid(path)) from None
    try:  # for the refusal message of the next one, and for people
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    except OSError as exc:
        os.close(fd)
        raise DataDirError(f"cannot write {lock_path}: {exc.strerror or exc}") from None
    return fd


def holder_pid(path: Path) -> int | None:
    """The pid written by the lock's holder (None if unreadable)."""
    try:
        return int((path / LOCK_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def in_use(path: Path) -> bool:
    """Whether a running process holds `path`. Takes and drops a shared lock only, so
    it never stands in a trader's way for more than an instant."""
    try:
        fd = os.open(path / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock, if it was taken
    return False


def loose_entries(path: Path) -> list[tuple[Path, int]]:
    """Everything in the data dir (itself included) that group or others may access,
    with its current mode. Symbolic links are left alone: their target is not ours."""
    found: list[tuple[Path, int]] = []
    for entry in _entries(path):
        try:
            mode = entry.lstat().st_mode
        except OSError:
            continue
        if not stat.S_ISLNK(mode) and mode & 0o077:
            found.append((entry, stat.S_IMODE(mode)))
    return found


def _entries(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    found = [path.resolve()]  # a data dir that is a symlink: its target is the data dir
    for folder, dirs, files in os.walk(path):
        found += [Path(folder, name) for name in (*dirs, *files)]
    return found


def tighten(path: Path) -> list[str]:
    """Owner-only modes for what was looser; one description per change."""
    fixed: list[str] = []
    for entry, mode in loose_entries(path):
        wanted = mode & 0o700  # only group and others lose access
        try:
            os.chmod(entry, wanted)
        except OSError as exc:
            fixed.append(f"{entry} {mode:04o} left as is: {exc.strerror or exc}")
            continue
        fixed.append(f"{entry} {mode:04o} -> {wanted:04o}")
    return fixed


def probe_journal(db: Path) -> None:
    """A journal that cannot take a write transaction (read-only, locked by another
    process, not a database) fails here, at once, rather than after the writer's
    retries. A missing or empty journal is the journal's own business."""
    if not db.is_file() or db.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(
            f"{db.resolve().as_uri()}?mode=rw", uri=True, timeout=JOURNAL_PROBE_TIMEOUT_S
        )
    except sqlite3.Error as exc:
        raise DataDirError(f"cannot open journal {db}: {exc}") from None
    try:
        # The lock alone is not enough: in WAL mode it lives in the -shm file, so a
        # read-only journal would take it. Writing a page (rolled back) shows it.
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE tui_trader_write_probe (x)")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise DataDirError(f"journal {db} cannot be written: {exc}") from None
    finally:
        conn.close()


def report_fixes() -> None:
    """Log, once, what claim() had to tighten (called once logging is set up)."""
    if _held is None or not _held.fixed:
        return
    shown = "; ".join(_held.fixed[:5])
    more = f" (+{len(_held.fixed) - 5} more)" if len(_held.fixed) > 5 else ""
    log.warning("data dir files were readable by others, now owner-only: %s%s", shown, more)
    _held.fixed = []


def release() -> None:
    """Drop the claim (tests; a process normally keeps it until it exits)."""
    global _held
    if _held is not None:
        with contextlib.suppress(OSError):
            os.close(_held.lock_fd)
        _held = None
