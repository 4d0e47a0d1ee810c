"""`tui-trader export`: orders, fills or FIFO round trips to CSV, read through a
read-only connection so it can run while the trader writes."""

import asyncio
import csv
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Literal

import aiosqlite

from tui_trader.domain import Fill, Order, Side
from tui_trader.journal import reader
from tui_trader.journal.schema import open_readonly
from tui_trader.journal.trades import RoundTrip, pair_round_trips
from tui_trader.journal.values import dt_text

ExportKind = Literal["orders", "fills", "trades"]
CsvRow = Sequence[str | int | None]
PCT = Decimal("0.0001")

ORDER_HEADER = (
    "created_at", "updated_at", "client_order_id", "intent_id", "symbol", "side",
    "order_type", "purpose", "quantity", "price", "status", "filled_quantity",
    "average_price", "exchange_order_id", "reason",
)  # fmt: skip
FILL_HEADER = (
    "ts", "client_order_id", "trade_id", "symbol", "side", "quantity", "price", "fee",
    "fee_asset", "is_maker",
)  # fmt: skip
TRADE_HEADER = (
    "symbol", "direction", "entry_time", "entry_price", "exit_time", "exit_price",
    "quantity", "fees", "pnl", "pnl_pct", "holding_seconds",
)  # fmt: skip


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _order_csv(o: Order) -> CsvRow:
    return (
        dt_text(o.created_at), dt_text(o.updated_at), o.client_order_id, o.intent_id,
        o.symbol, o.side.value, o.type_label, o.purpose.value, str(o.quantity),
        _num(o.price), o.status.value, str(o.filled_quantity), str(o.average_price),
        o.exchange_order_id, o.reason,
    )  # fmt: skip


def _fill_csv(f: Fill) -> CsvRow:
    return (
        dt_text(f.ts), f.client_order_id, f.trade_id, f.symbol, f.side.value,
        str(f.quantity), str(f.price), str(f.fee), f.fee_asset, int(f.is_maker),
    )  # fmt: skip


def _trade_csv(t: RoundTrip) -> CsvRow:
    return (
        t.symbol, "LONG" if t.side is Side.BUY else "SHORT", dt_text(t.entry_time),
        str(t.entry_price), dt_text(t.exit_time), str(t.exit_price), str(t.quantity),
        str(t.fees), str(t.pnl), str(t.pnl_pct.quantize(PCT)), str(t.holding.total_seconds()),
    )  # fmt: skip


async def _order_rows(conn: aiosqlite.Connection) -> list[CsvRow]:
    return [_order_csv(o) for o in reversed(await reader.orders(conn))]


async def _fill_rows(conn: aiosqlite.Connection) -> list[CsvRow]:
    return [_fill_csv(f) for f in await reader.fills(conn)]


async def _trade_rows(conn: aiosqlite.Connection) -> list[CsvRow]:
    return [_trade_csv(t) for t in pair_round_trips(await reader.fills(conn))]


EXPORTS = {
    "orders": (ORDER_HEADER, _order_rows),
    "fills": (FILL_HEADER, _fill_rows),
    "trades": (TRADE_HEADER, _trade_rows),
}


async def export_csv(db_path: Path, kind: ExportKind, out: Path) -> int:
    """Write one CSV (oldest first) and return the number of data rows. Money is
    written exactly as journaled; "trades" pairs fills into FIFO round trips."""
    if kind not in EXPORTS:
        raise ValueError(f"export kind must be one of {sorted(EXPORTS)}, got {kind!r}")
    header, build = EXPORTS[kind]
    async with open_readonly(db_path) as conn:
        rows = await build(conn)
    await asyncio.to_thread(_write_csv, out, header, rows)
    return len(rows)


def _write_csv(out: Path, header: Sequence[str], rows: list[CsvRow]) -> None:
    """Write beside the target and rename, so a reader never sees half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    partial.replace(out)
