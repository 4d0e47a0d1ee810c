"""The exit-intent log: where a protective exit's intent goes when the journal cannot
commit it within a second (locked by another process, or failing), so a stop-loss never
waits on the journal. One JSON line per intent (the intents-table row), appended and
fsync'd before the order is sent; reconciled into the journal (INSERT OR IGNORE, keyed by
client order id) at the next open and whenever the journal is writable again.

Blocking file I/O: callers on the event loop use `asyncio.to_thread`."""

import json
import logging
import os
from pathlib import Path

from tui_trader.journal.ops import Params

log = logging.getLogger(__name__)
SPILL_SUFFIX = ".exit-intents"
REPLAYING_SUFFIX = ".replaying"


def spill_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + SPILL_SUFFIX)


class IntentSpill:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._replaying = path.with_name(path.name + REPLAYING_SUFFIX)

    def pending(self) -> bool:
        return self.path.exists() or self._replaying.exists()

    def append(self, row: Params) -> None:
        """Durable when this returns (data and, for a new file, its directory entry)."""
        created = not self.path.exists()
        data = (json.dumps({"v": 1, "row": list(row)}) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if os.write(fd, data) != len(data):
                raise OSError(f"short write to {self.path}")
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.path.parent)

    def take(self) -> list[Params]:
        """The rows to reconcile. The live file is first renamed aside, so exits spilled
        meanwhile go to a new file and are never deleted unreconciled by `finish`."""
        if not self._replaying.exists() and self.path.exists():
            os.replace(self.path, self._replaying)
        if not self._replaying.exists():
            return []
        return _parse(self._replaying)

    def finish(self) -> None:
        """The rows from `take` are committed to the journal."""
        self._replaying.unlink(missing_ok=True)


def _parse(path: Path) -> list[Params]:
    rows: list[Params] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append(tuple(json.loads(line)["row"]))
        except (ValueError, KeyError, TypeError):
            # A line cut short by a crash mid-append: its order was never sent.
            log.warning("%s line %d is not a whole record; skipped", path, number)
    return rows


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
