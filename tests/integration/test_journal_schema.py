import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tui_trader.domain import OrderStatus
from tui_trader.journal import SCHEMA_VERSION, Journal, JournalError, read_status
from tui_trader.journal.schema import MIGRATIONS, connect, migrate

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def versions(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")]


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


async def test_connection_pragmas(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "j.db", busy_timeout_ms=1234)
    try:
        found = {}
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
            rows = list(await conn.execute_fetchall(f"PRAGMA {name}"))
            found[name] = rows[0][0]
    finally:
        await conn.close()
    assert found == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 1234,
    }


async def test_new_journal_gets_every_migration(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db")
    await j.open()
    await j.close()
    assert versions(tmp_path / "j.db") == list(range(1, SCHEMA_VERSION + 1)) == [1, 2, 3, 4]
    assert {"events", "intents", "orders", "order_updates", "fills", "risk_decisions"} | {
        "safety_events", "meta", "balance_snapshots", "position_snapshots", "engine_runs",
        "funding_fees", "venue_fees",
    } <= tables(tmp_path / "j.db")  # fmt: skip


async def test_older_journal_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    conn = await connect(db)
    await migrate(conn, db, "2025-01-01T00:00:00+00:00", MIGRATIONS[:1])
    await conn.execute(
        "INSERT INTO orders VALUES ('tt-1', 'i-1', 'BTCUSDT', 'BUY', 'MARKET', '0.5', NULL,"
        " 'NEW', 'ENTRY', '0', '0', '', '', ?, ?)",
        ("2025-01-01T00:00:00.000000+00:00", "2025-01-01T00:00:00.000000+00:00"),
    )
    await conn.close()
    assert versions(db) == [1] and "engine_runs" not in tables(db)

    j = Journal(db)
    await j.open()
    [order] = await j.open_orders()
    assert (order.client_order_id, order.quantity, order.status) == (
        "tt-1",
        Decimal("0.5"),
        OrderStatus.NEW,
    )
    assert await j.start_run("PAPER", "spot", "sim", T0, 1) == 1  # v2 table now exists
    assert await j.integrity_check() == []
    await j.close()
    assert versions(db) == [1, 2, 3, 4]


async def test_newer_journal_is_refused_never_downgraded(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    j = Journal(db)
    await j.open()
    await j.close()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, '2030-01-01')")
    with pytest.raises(JournalError, match=r"schema version 99, newer than the 4 .*upgrade"):
        await Journal(db).open()
    with pytest.raises(JournalError, match="schema version 99"):
        await read_status(db)
    assert versions(db) == [1, 2, 3, 4, 99]


async def test_a_failing_migration_rolls_back_whole(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    conn = await connect(db)
    broken = (*MIGRATIONS[:1], ("CREATE TABLE half_done (a)", "CREATE TABLE oops syntax"))
    with pytest.raises(JournalError, match="migration to schema version 2 failed"):
        await migrate(conn, db, "2025-01-01T00:00:00+00:00", broken)
    await conn.close()
    assert versions(db) == [1]
    assert "half_done" not in tables(db)


async def test_integrity_check_reports_problems_in_words(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    j = Journal(db)
    await j.open()
    assert await j.integrity_check() == []
    with sqlite3.connect(db) as conn:  # foreign keys are off by default in plain sqlite3
        conn.execute(
            "INSERT INTO order_updates (client_order_id, status, filled_quantity,"
            " average_price, exchange_order_id, reason, updated_at)"
            " VALUES ('ghost', 'NEW', '0', '0', '', '', '2025-01-01')"
        )
    assert await j.integrity_check() == ["order_updates row 1 points to a missing orders row"]
    await j.close()


async def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match=f"cannot open journal {db}"):
        await Journal(db).open()
    with pytest.raises(JournalError, match="is not a tui-trader journal"):
        await read_status(db)
    assert db.read_bytes() == b"this is not sqlite" * 100
