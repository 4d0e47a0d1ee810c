"""Outside text reaches the journal (SQLite and JSONL) without escape sequences or control
characters: what `status`, `export` or a later screen reads back is printable."""

import json
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from tui_trader.domain import Order, OrderStatus, OrderType, SafetyEvent, Severity, Side
from tui_trader.journal import Journal

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "sk-LIVE-7c1f9a"
HOSTILE = "\x1b[31mred\x1b[0m\x07 \x1b]0;pwned\x07tail\x00\x7f\u202e[/]"
STORED = "red tail[/]"  # markup is not the journal's business: it stays, literally
CONTROL = ("\x1b", "\x07", "\x00", "\x7f", "\u202e")


def rejected(reason: str) -> Order:
    return Order(
        "tt-1", "i-1", "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.5"),
        Decimal("100.10"), OrderStatus.REJECTED, T0, T0, reason=reason,
    )  # fmt: skip


def rows(db: Path, sql: str) -> list[tuple[str, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


async def test_outside_text_is_stored_printable(tmp_path: Path) -> None:
    db, logs = tmp_path / "j.db", tmp_path / "logs"
    journal = Journal(db, logs, redact=lambda s: s.replace(SECRET, "sk-***"))
    await journal.open()
    journal.record_safety(
        SafetyEvent(T0, Severity.WARNING, "exchange_error", f"said: {HOSTILE}\nline 2")
    )
    journal.record_order(rejected(f"-2010 {HOSTILE}"))
    journal.record_event("llm", "response", {"advice": {"reasoning": HOSTILE}})
    # A secret split by control characters is whole, and masked, once they are gone.
    journal.record_safety(SafetyEvent(T0, Severity.INFO, "auth", "key sk-LIVE\x1b[0m-7c1f9a"))
    await journal.flush()
    await journal.close()

    messages = [m for (m,) in rows(db, "SELECT message FROM safety_events ORDER BY id")]
    assert messages == [f"said: {STORED}\nline 2", "key sk-***"]  # line breaks stay
    assert rows(db, "SELECT reason FROM orders") == [(f"-2010 {STORED}",)]
    [(payload,)] = rows(db, "SELECT payload FROM events WHERE kind = 'response'")
    assert json.loads(payload) == {"advice": {"reasoning": STORED}}
    for path in (db, *logs.iterdir()):
        text = path.read_bytes().decode("utf-8", "replace")
        assert "pwned" not in text and SECRET not in text, path
        if path.suffix == ".jsonl":
            assert not any(json.dumps(char)[1:-1] in text for char in CONTROL), path
