"""The kill switch: a file in the data dir, so a restarted process is still killed.

Any process may activate it (`tui-trader kill`, the TUI, the anomaly monitor); the running
trader polls the file and halts within a fraction of a second. Only an operator clears it.
"""

import contextlib
import errno
import json
import os
import stat
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

KILL_FILE_NAME = "KILL_SWITCH"
# Space set aside while the disk still has some, so a kill can be written on a full disk:
# the kill is written into this file's already allocated bytes and renamed into place.
RESERVE_SUFFIX = ".reserve"
RESERVE_BYTES = 4096
MAX_READ_BYTES = 64 * 1024  # a kill file is ~200 bytes; never slurp a huge one


class KillSwitchError(Exception):
    """The kill switch file could not be read or written."""


@dataclass(frozen=True, slots=True)
class KillState:
    activated_at: str
    source: str
    reason: str
    close_positions: bool


class KillSwitch:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / KILL_FILE_NAME

    def read(self) -> KillState | None:
        """The persisted state, or None when not killed. A corrupt or odd file still counts
        as killed: failing open here would let a damaged file re-enable trading. Never
        blocks: O_NONBLOCK, so a FIFO at the path cannot stall the event loop."""
        try:
            raw = self._read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            return KillState("", "unknown", f"unreadable kill file: {exc}", False)
        if isinstance(raw, str):  # not a regular file: the reason why
            return KillState("", "unknown", raw, False)
        if not raw.strip():
            return KillState("", "unknown", "empty kill file (written on a full disk?)", False)
        try:
            data: dict[str, Any] = json.loads(raw.decode("utf-8"))
            return KillState(
                activated_at=str(data.get("activated_at", "")),
                source=str(data.get("source", "unknown")),
                reason=str(data.get("reason", "")),
                close_positions=bool(data.get("close_positions", False)),
            )
        except UnicodeDecodeError as exc:
            return KillState("", "unknown", f"unreadable kill file: {exc}", False)
        except (json.JSONDecodeError, AttributeError):
            return KillState("", "unknown", "kill file is not valid JSON", False)

    def _read_bytes(self) -> bytes | str:
        """The file's bytes, or why it is not a regular file (checked on the open
        descriptor, so nothing swapped in between a check and the open can block)."""
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                return (
                    f"kill file {self.path} is not a regular file ({_kind(mode)}); "
                    "counted as killed: remove it, then `tui-trader kill --clear --yes`"
                )
            return os.read(fd, MAX_READ_BYTES)
        finally:
            os.close(fd)

    @property
    def active(self) -> bool:
        return self.path.exists()

    def activate(
        self, now: datetime, source: str, reason: str, close_positions: bool = False
    ) -> KillState:
        """Persist the kill atomically (write then rename). Re-activating keeps the first
        activation's time but upgrades close_positions if newly asked for."""
        previous = self.read()
        state = KillState(
            activated_at=previous.activated_at if previous else now.isoformat(),
            source=source,
            reason=reason,
            close_positions=close_positions or bool(previous and previous.close_positions),
        )
        data = json.dumps(asdict(state)).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._write(data)
        except OSError as exc:
            raise KillSwitchError(f"cannot write kill switch {self.path}: {exc}") from exc
        self.reserve()  # for the next activation; harmless if the disk is still full
        return state

    def reserve(self) -> bool:
        """Set aside RESERVE_BYTES of real disk blocks (written, not sparse) for a kill
        on a full disk. Idempotent; False when the space could not be set aside."""
        spare = self._reserve_path
        try:
            if spare.is_file() and spare.stat().st_size >= RESERVE_BYTES:
                return True
            fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b" " * RESERVE_BYTES)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            _remove_quietly(spare)
            return False
        return True

    @property
    def _reserve_path(self) -> Path:
        return self.path.with_name(self.path.name + RESERVE_SUFFIX)

    def _write(self, data: bytes) -> None:
        """Write then rename, so a reader never sees half a kill. On a full disk the
        reserved file is used: overwriting allocated bytes and truncating need no space."""
        try:
            self._write_into(self.path.with_suffix(".tmp"), data, create=True)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise
            try:
                self._write_into(self._reserve_path, data, create=False)
            except OSError:
                # No reserve either: an empty file needs no data block, only an inode,
                # and still counts as killed (fail closed) for every reader.
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))

    def _write_into(self, tmp: Path, data: bytes, *, create: bool) -> None:
        flags = os.O_WRONLY | (os.O_CREAT | os.O_TRUNC if create else 0)
        fd = os.open(tmp, flags, 0o600)
        try:
            os.write(fd, data)
            os.ftruncate(fd, len(data))
            os.fsync(fd)
        except OSError:
            os.close(fd)
            if create:
                _remove_quietly(tmp)
            raise
        os.close(fd)
        os.replace(tmp, self.path)

    def clear(self) -> bool:
        """Remove the kill; returns False if it was not active."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise KillSwitchError(f"cannot clear kill switch {self.path}: {exc}") from exc
        return True


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
