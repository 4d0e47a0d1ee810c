"""Checks before a journal is trusted: was this data dir used before (and is its journal
lost)? Is there room, and does a real commit work? The marker that answers the first
question next time is written here too."""

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from tui_trader.journal.errors import JournalError
from tui_trader.journal.ops import UPSERT_META
from tui_trader.journal.spill import IntentSpill, spill_path

log = logging.getLogger("tui_trader.journal.store")
MARKER_SUFFIX = ".created"
# Opening refuses a data dir with less room than this: a journal that would fill the
# disk within minutes of starting is a journal that cannot write.
MIN_FREE_BYTES = 1024 * 1024


def marker_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + MARKER_SUFFIX)


def used_before(db_path: Path, jsonl_dir: Path | None) -> bool:
    """Has a journal lived in this data dir? (Logs of the app itself do not count: they
    are written before the journal is opened.)"""
    if marker_path(db_path).exists() or IntentSpill(spill_path(db_path)).pending():
        return True
    return jsonl_dir is not None and any(jsonl_dir.glob("*.jsonl*"))


def lost_reason(db_path: Path, jsonl_dir: Path | None) -> str | None:
    """Why starting here would silently open a fresh account, or None. Blocking (a few
    stats and a read-only look at the schema): `Journal.open` runs it in a thread."""
    if not used_before(db_path, jsonl_dir):
        return None
    if not db_path.exists():
        return f"the journal {db_path} is missing"
    if db_path.is_file() and db_path.stat().st_size == 0:
        return f"the journal {db_path} is empty (0 bytes)"
    if not _has_schema(db_path):
        return f"the journal {db_path} has no schema"
    return None


def _has_schema(db_path: Path) -> bool:
    """False for a database without our schema table; True otherwise, including a file
    that is not a database at all (that is damage, reported when it is opened)."""
    try:
        conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return True
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchall()
    except sqlite3.Error:
        return True
    finally:
        conn.close()
    return bool(found)


def lost_message(reason: str) -> str:
    return (
        f"{reason} but this data dir was used before: restore the journal from a backup, "
        "or start over on purpose with --new-account (a fresh paper account; history and "
        "used client order ids are not carried over)"
    )


def write_marker(db_path: Path, now: str) -> None:
    """Say, durably, that a journal with a schema lives here (see `used_before`)."""
    marker = marker_path(db_path)
    if marker.exists():
        return
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, f"journal created {now}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:  # the journal itself is fine; only the loss check is weaker
        log.warning("cannot write %s: %s", marker, exc)


async def prove_writable(conn: aiosqlite.Connection, db_path: Path, now: str) -> None:
    """Room on the disk and one real commit: else the journal refuses to start."""
    problem = await asyncio.to_thread(too_little_room, db_path.parent)
    if problem is None:
        try:
            await transaction(conn, UPSERT_META, [("journal_opened_at", now)])
        except Exception as exc:
            problem = str(exc)
    if problem is not None:
        raise JournalError(
            f"journal {db_path} cannot be written ({problem}); free space or fix "
            "the data dir, then start again"
        )


def too_little_room(folder: Path) -> str | None:
    try:
        fs = os.statvfs(folder)
    except OSError:  # no statvfs here: the commit alone decides
        return None
    free = fs.f_bavail * fs.f_frsize
    if free >= MIN_FREE_BYTES:
        return None
    return f"only {free // 1024} KiB free, at least {MIN_FREE_BYTES // 1024} KiB needed"


async def transaction(conn: aiosqlite.Connection, sql: str, rows: Sequence[Any]) -> None:
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.executemany(sql, rows)
        await conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error, ValueError):
            await conn.execute("ROLLBACK")
        raise
