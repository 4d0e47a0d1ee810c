"""Schema, forward migrations and connection setup.

Each migration step is a tuple of SQL statements applied in one transaction together with
its row in `schema_version`. Steps are never edited once released: a change is a new step."""

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import aiosqlite

from tui_trader.domain import FINAL_STATUSES
from tui_trader.journal.errors import JournalError

# Used in SQL text; the values are fixed enum names, never user input.
FINAL_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(FINAL_STATUSES)) + ")"

_V1_ORDERS_AND_AUDIT = (
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, category TEXT NOT NULL,
        kind TEXT NOT NULL, payload TEXT NOT NULL DEFAULT '{}')""",
    """CREATE TABLE intents (
        id INTEGER PRIMARY KEY, client_order_id TEXT NOT NULL UNIQUE,
        intent_id TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL,
        order_type TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT,
        purpose TEXT NOT NULL, reference_price TEXT NOT NULL, reason TEXT NOT NULL,
        strategy TEXT NOT NULL, reduce_only INTEGER NOT NULL, created_at TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}')""",
    """CREATE TABLE orders (
        client_order_id TEXT PRIMARY KEY, intent_id TEXT NOT NULL, symbol TEXT NOT NULL,
        side TEXT NOT NULL, order_type TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT,
        status TEXT NOT NULL, purpose TEXT NOT NULL, filled_quantity TEXT NOT NULL,
        average_price TEXT NOT NULL, exchange_order_id TEXT NOT NULL, reason TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    "CREATE INDEX orders_status ON orders (status)",
    "CREATE INDEX orders_created ON orders (created_at)",
    """CREATE TABLE order_updates (
        id INTEGER PRIMARY KEY,
        client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
        status TEXT NOT NULL, filled_quantity TEXT NOT NULL, average_price TEXT NOT NULL,
        exchange_order_id TEXT NOT NULL, reason TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    "CREATE INDEX order_updates_order ON order_updates (client_order_id)",
    # Binance trade ids are unique per symbol only, so the dedupe key is the pair.
    """CREATE TABLE fills (
        id INTEGER PRIMARY KEY, trade_id TEXT NOT NULL, client_order_id TEXT NOT NULL,
        symbol TEXT NOT NULL, side TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT NOT NULL,
        fee TEXT NOT NULL, fee_asset TEXT NOT NULL, ts TEXT NOT NULL,
        is_maker INTEGER NOT NULL, UNIQUE (symbol, trade_id))""",
    "CREATE INDEX fills_ts ON fills (ts)",
    """CREATE TABLE risk_decisions (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, intent_id TEXT NOT NULL,
        client_order_id TEXT NOT NULL, approved INTEGER NOT NULL, reason TEXT NOT NULL,
        checks TEXT NOT NULL DEFAULT '[]')""",
    """CREATE TABLE safety_events (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, severity TEXT NOT NULL, kind TEXT NOT NULL,
        symbol TEXT NOT NULL, message TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}')""",
    "CREATE INDEX safety_events_ts ON safety_events (ts)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

# Snapshots are one row each with a JSON document, so an empty (all flat) snapshot exists.
_V2_ACCOUNT_AND_RUNS = (
    """CREATE TABLE balance_snapshots (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, equity TEXT NOT NULL,
        balances TEXT NOT NULL)""",
    "CREATE INDEX balance_snapshots_ts ON balance_snapshots (ts)",
    """CREATE TABLE position_snapshots (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, positions TEXT NOT NULL)""",
    "CREATE INDEX position_snapshots_ts ON position_snapshots (ts)",
    """CREATE TABLE engine_runs (
        id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT, mode TEXT NOT NULL,
        market TEXT NOT NULL, feed TEXT NOT NULL, final_state TEXT, pid INTEGER NOT NULL)""",
)

# USD-M funding settlements move the wallet without a fill; a restart rebuilds the
# wallet from them too. The same settlement delivered twice is stored once. Orders and
# fills say which account they belong to ("paper", "testnet/spot", ...; '' before v3),
# so one account's restart never replays another's.
_V3_FUNDING_AND_ACCOUNTS = (
    "ALTER TABLE orders ADD COLUMN account TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE fills ADD COLUMN account TEXT NOT NULL DEFAULT ''",
    """CREATE TABLE funding_fees (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, asset TEXT NOT NULL, amount TEXT NOT NULL,
        symbol TEXT NOT NULL, ref TEXT NOT NULL UNIQUE)""",
    "CREATE INDEX funding_fees_ts ON funding_fees (ts)",
)

# A venue's charges outside any fill (Alpaca's regulatory fees on sales, read from its
# account activities) move the cash as funding does: a restart rebuilds the cash from
# them too, and the same charge read twice is stored once.
_V4_VENUE_FEES = (
    """CREATE TABLE venue_fees (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, asset TEXT NOT NULL, amount TEXT NOT NULL,
        symbol TEXT NOT NULL, ref TEXT NOT NULL UNIQUE, kind TEXT NOT NULL)""",
    "CREATE INDEX venue_fees_ts ON venue_fees (ts)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _V1_ORDERS_AND_AUDIT,
    _V2_ACCOUNT_AND_RUNS,
    _V3_FUNDING_AND_ACCOUNTS,
    _V4_VENUE_FEES,
)
SCHEMA_VERSION = len(MIGRATIONS)


async def connect(
    db_path: Path, *, readonly: bool = False, busy_timeout_ms: int = 5000
) -> aiosqlite.Connection:
    """A connection in autocommit mode (transactions are explicit) with our PRAGMAs.
    Read-only connections use a `mode=ro` URI so they can never take a write lock."""
    try:
        if readonly:
            conn = await aiosqlite.connect(_ro_uri(db_path), uri=True, isolation_level=None)
        else:
            conn = await aiosqlite.connect(db_path, isolation_level=None)
    except sqlite3.Error as exc:
        raise JournalError(f"cannot open journal {db_path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        await _pragmas(conn, readonly, busy_timeout_ms)
    except (sqlite3.Error, JournalError) as exc:
        await conn.close()
        raise JournalError(f"cannot open journal {db_path}: {exc}") from exc
    return conn


def _ro_uri(db_path: Path) -> str:
    return db_path.resolve().as_uri() + "?mode=ro"


async def _pragmas(conn: aiosqlite.Connection, readonly: bool, busy_timeout_ms: int) -> None:
    await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    await conn.execute("PRAGMA foreign_keys = ON")
    if readonly:
        return
    rows = list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
    if str(rows[0][0]).lower() != "wal":
        raise JournalError(f"WAL mode unavailable (journal_mode is {rows[0][0]})")
    await conn.execute("PRAGMA synchronous = FULL")


async def current_version(conn: aiosqlite.Connection) -> int:
    rows = list(await conn.execute_fetchall("SELECT MAX(version) FROM schema_version"))
    return int(rows[0][0] or 0)


def _too_new(db_path: Path, found: int, known: int) -> JournalError:
    return JournalError(
        f"journal {db_path} has schema version {found}, newer than the {known} this "
        "tui-trader knows; upgrade tui-trader (the journal is never downgraded)"
    )


async def migrate(
    conn: aiosqlite.Connection,
    db_path: Path,
    applied_at: str,
    migrations: Sequence[tuple[str, ...]] = MIGRATIONS,
) -> int:
    """Bring the schema up to len(migrations); returns the version reached."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    found = await current_version(conn)
    if found > len(migrations):
        raise _too_new(db_path, found, len(migrations))
    for version in range(found + 1, len(migrations) + 1):
        await _apply(conn, version, migrations[version - 1], applied_at)
    return len(migrations)


async def _apply(
    conn: aiosqlite.Connection, version: int, statements: tuple[str, ...], applied_at: str
) -> None:
    await conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the lock.
        if await current_version(conn) < version:
            for statement in statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (version, applied_at),
            )
        await conn.execute("COMMIT")
    except sqlite3.Error as exc:
        with suppress(sqlite3.Error):
            await conn.execute("ROLLBACK")
        raise JournalError(f"migration to schema version {version} failed: {exc}") from exc


async def check_version(conn: aiosqlite.Connection, db_path: Path) -> int:
    """For readers that cannot migrate: the schema must be exactly this code's version."""
    try:
        found = await current_version(conn)
    except sqlite3.Error as exc:
        raise JournalError(f"{db_path} is not a tui-trader journal ({exc})") from exc
    if found > SCHEMA_VERSION:
        raise _too_new(db_path, found, SCHEMA_VERSION)
    if found < SCHEMA_VERSION:
        raise JournalError(
            f"journal {db_path} has schema version {found}, this tui-trader needs "
            f"{SCHEMA_VERSION}; run `tui-trader run` once to migrate it"
        )
    return found


def _require_file(db_path: Path) -> None:
    if not db_path.is_file():
        raise JournalError(f"no journal at {db_path}; run `tui-trader run` first")


@asynccontextmanager
async def open_readonly(db_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """A read-only connection for another process (status, export): never blocks the writer."""
    _require_file(db_path)
    conn = await connect(db_path, readonly=True)
    try:
        await check_version(conn, db_path)
        yield conn
    finally:
        await conn.close()
