"""Queries on a journal connection, shared by the Journal and the read-only helpers."""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import aiosqlite

from tui_trader.domain import (
    Balance,
    Fill,
    FundingFee,
    Order,
    OrderIntent,
    Position,
    SafetyEvent,
    VenueFee,
)
from tui_trader.domain.events import SafetyKind
from tui_trader.journal import codec
from tui_trader.journal.schema import FINAL_SQL, SCHEMA_VERSION, current_version
from tui_trader.journal.values import RowLike, dt_text, opt_text_dt, text_dt

PAPER_ACCOUNT = "paper"
COUNTED_TABLES = ("intents", "orders", "fills", "risk_decisions", "safety_events", "events")


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    started_at: datetime
    ended_at: datetime | None
    mode: str
    market: str
    feed: str
    final_state: str | None
    pid: int

    @property
    def state(self) -> str:
        """The final state once ended; RUNNING while the run has no end (or crashed)."""
        return self.final_state if self.ended_at and self.final_state else "RUNNING"


def _run(row: RowLike) -> RunInfo:
    return RunInfo(
        id=row["id"],
        started_at=text_dt(row["started_at"]),
        ended_at=opt_text_dt(row["ended_at"]),
        mode=row["mode"],
        market=row["market"],
        feed=row["feed"],
        final_state=row["final_state"],
        pid=row["pid"],
    )


async def _rows(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return list(await conn.execute_fetchall(sql, params))


async def unfinished_intents(conn: aiosqlite.Connection) -> list[tuple[OrderIntent, str]]:
    """Intents whose order is not final, or that never got an order row: after a crash
    each one must be reconciled with the broker before anything new is sent."""
    rows = await _rows(
        conn,
        "SELECT i.* FROM intents i LEFT JOIN orders o ON o.client_order_id = i.client_order_id"
        f" WHERE o.status IS NULL OR o.status NOT IN {FINAL_SQL} ORDER BY i.id",
    )
    return [codec.row_intent(r) for r in rows]


def _of_account(account: str | None) -> tuple[str, tuple[str, ...]]:
    """SQL condition and parameters for rows of `account` (None: every account). Rows
    written before accounts were recorded ('') were paper ones."""
    if account is None:
        return "1", ()
    if account == PAPER_ACCOUNT:
        return "account IN (?, '')", (account,)
    return "account = ?", (account,)


async def open_orders(conn: aiosqlite.Connection, account: str | None = None) -> list[Order]:
    where, params = _of_account(account)
    sql = (
        f"SELECT * FROM orders WHERE status NOT IN {FINAL_SQL} AND {where}"
        " ORDER BY created_at, rowid"
    )
    return [codec.row_order(r) for r in await _rows(conn, sql, params)]


async def orders(
    conn: aiosqlite.Connection, limit: int | None = None, since: datetime | None = None
) -> list[Order]:
    """Orders created at or after `since`, newest first, at most `limit`."""
    sql = "SELECT * FROM orders WHERE created_at >= ? ORDER BY created_at DESC, rowid DESC LIMIT ?"
    start = dt_text(since) if since is not None else ""
    rows = await _rows(conn, sql, (start, -1 if limit is None else limit))
    return [codec.row_order(r) for r in rows]


async def fills(
    conn: aiosqlite.Connection, since: datetime | None = None, account: str | None = None
) -> list[Fill]:
    """Fills at or after `since` (of `account` when given), oldest first."""
    start = dt_text(since) if since is not None else ""
    where, params = _of_account(account)
    sql = f"SELECT * FROM fills WHERE ts >= ? AND {where} ORDER BY ts, id"
    return [codec.row_fill(r) for r in await _rows(conn, sql, (start, *params))]


async def events(
    conn: aiosqlite.Connection, category: str
) -> list[tuple[datetime, str, dict[str, Any]]]:
    """(ts, kind, payload) of every `category` event, oldest first; a payload that is not
    a JSON object reads as {} (the row is still counted)."""
    sql = "SELECT ts, kind, payload FROM events WHERE category = ? ORDER BY id"
    found = []
    for row in await _rows(conn, sql, (category,)):
        try:
            payload = json.loads(row["payload"])
        except ValueError:
            payload = {}
        payload = payload if isinstance(payload, dict) else {}
        found.append((text_dt(row["ts"]), str(row["kind"]), payload))
    return found


async def venue_fees(conn: aiosqlite.Connection, since: datetime | None = None) -> list[VenueFee]:
    """A venue's charges at or after `since`, oldest first."""
    start = dt_text(since) if since is not None else ""
    sql = "SELECT * FROM venue_fees WHERE ts >= ? ORDER BY ts, id"
    return [codec.row_venue_fee(r) for r in await _rows(conn, sql, (start,))]


async def funding_fees(
    conn: aiosqlite.Connection, since: datetime | None = None
) -> list[FundingFee]:
    """Funding settlements at or after `since`, oldest first."""
    start = dt_text(since) if since is not None else ""
    sql = "SELECT * FROM funding_fees WHERE ts >= ? ORDER BY ts, id"
    return [codec.row_funding(r) for r in await _rows(conn, sql, (start,))]


async def known_client_order_ids(conn: aiosqlite.Connection) -> set[str]:
    sql = "SELECT client_order_id FROM intents UNION SELECT client_order_id FROM orders"
    return {r[0] for r in await _rows(conn, sql)}


async def safety_events(conn: aiosqlite.Connection, limit: int = 50) -> list[SafetyEvent]:
    sql = "SELECT * FROM safety_events ORDER BY ts DESC, id DESC LIMIT ?"
    return [codec.row_safety(r) for r in await _rows(conn, sql, (limit,))]


async def latest_safety_event(conn: aiosqlite.Connection, *kinds: SafetyKind) -> SafetyEvent | None:
    """The newest event of any of `kinds` in the order it was written (its ts may be
    market time)."""
    marks = ", ".join("?" for _ in kinds)  # placeholders only: the kinds are parameters
    sql = f"SELECT * FROM safety_events WHERE kind IN ({marks}) ORDER BY id DESC LIMIT 1"
    rows = await _rows(conn, sql, tuple(kinds))
    return codec.row_safety(rows[0]) if rows else None


async def latest_balances(
    conn: aiosqlite.Connection,
) -> tuple[datetime, dict[str, Balance], Decimal] | None:
    sql = "SELECT * FROM balance_snapshots ORDER BY ts DESC, id DESC LIMIT 1"
    rows = await _rows(conn, sql)
    return codec.row_balances(rows[0]) if rows else None


async def latest_positions(conn: aiosqlite.Connection) -> list[Position]:
    sql = "SELECT * FROM position_snapshots ORDER BY ts DESC, id DESC LIMIT 1"
    rows = await _rows(conn, sql)
    return codec.row_positions(rows[0]) if rows else []


async def latest_run(conn: aiosqlite.Connection) -> RunInfo | None:
    rows = await _rows(conn, "SELECT * FROM engine_runs ORDER BY id DESC LIMIT 1")
    return _run(rows[0]) if rows else None


async def get_meta(conn: aiosqlite.Connection, key: str) -> str | None:
    rows = await _rows(conn, "SELECT value FROM meta WHERE key = ?", (key,))
    return str(rows[0][0]) if rows else None


async def counts(conn: aiosqlite.Connection) -> dict[str, int]:
    found: dict[str, int] = {}
    for table in COUNTED_TABLES:
        rows = await _rows(conn, f"SELECT COUNT(*) FROM {table}")
        found[table] = int(rows[0][0])
    return found


async def integrity_check(conn: aiosqlite.Connection) -> list[str]:
    """Problems found, in words; an empty list means the journal is sound."""
    problems = [str(r[0]) for r in await _rows(conn, "PRAGMA integrity_check") if r[0] != "ok"]
    for table, rowid, parent, _ in await _rows(conn, "PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid} points to a missing {parent} row")
    version = await current_version(conn)
    if version != SCHEMA_VERSION:
        problems.append(f"schema version is {version}, expected {SCHEMA_VERSION}")
    return problems
