"""Checks on a journal file written by a real trader process, read with plain sqlite3
(read-only): the books balance, no order twice, no fill lost."""

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return list(conn.execute(sql))


def assert_books_balance(db: Path, start_cash: Decimal = Decimal("10000")) -> None:
    """The journal alone must account for every unit of cash, exactly (Decimal)."""
    cash = start_cash
    held: dict[str, Decimal] = {}
    for side, symbol, qty, price, fee in query(
        db, "SELECT side, symbol, quantity, price, fee FROM fills ORDER BY id"
    ):
        notional = Decimal(str(qty)) * Decimal(str(price))
        sign = -1 if side == "BUY" else 1
        cash += sign * notional - Decimal(str(fee))
        held[str(symbol)] = held.get(str(symbol), Decimal(0)) - sign * Decimal(str(qty))
    equity_text, balances_text = query(
        db, "SELECT equity, balances FROM balance_snapshots ORDER BY id DESC LIMIT 1"
    )[0]
    balances = json.loads(str(balances_text))
    usdt = balances["USDT"]
    assert Decimal(usdt["free"]) + Decimal(usdt["locked"]) == cash
    for symbol, quantity in held.items():
        base = balances.get(symbol.removesuffix("USDT"), {"free": "0", "locked": "0"})
        assert Decimal(base["free"]) + Decimal(base["locked"]) == quantity
    positions = json.loads(
        str(query(db, "SELECT positions FROM position_snapshots ORDER BY id DESC LIMIT 1")[0][0])
    )
    marked = sum((Decimal(p["quantity"]) * Decimal(p["mark_price"]) for p in positions), Decimal(0))
    assert Decimal(str(equity_text)) == cash + marked


@dataclass(frozen=True, slots=True)
class OrderAudit:
    orders: int
    duplicate_orders: int  # intents sent as more than one order, or a client id reused
    lost_fills: int  # orders whose filled quantity their journaled fills do not add up to
    duplicate_fills: int  # the same exchange trade booked twice


def audit_orders(db: Path) -> OrderAudit:
    intents = [row[0] for row in query(db, "SELECT client_order_id FROM intents")]
    per_intent = query(db, "SELECT intent_id, count(*) FROM orders GROUP BY intent_id")
    duplicates = (len(intents) - len(set(intents))) + sum(
        int(str(n)) - 1 for _intent, n in per_intent if int(str(n)) > 1
    )
    filled: dict[str, Decimal] = defaultdict(Decimal)
    for coid, qty in query(db, "SELECT client_order_id, quantity FROM fills"):
        filled[str(coid)] += Decimal(str(qty))
    orders = query(db, "SELECT client_order_id, filled_quantity FROM orders")
    lost = sum(1 for coid, qty in orders if Decimal(str(qty)) != filled.get(str(coid), 0))
    trades = query(db, "SELECT symbol, trade_id FROM fills")
    return OrderAudit(len(orders), duplicates, lost, len(trades) - len(set(trades)))
