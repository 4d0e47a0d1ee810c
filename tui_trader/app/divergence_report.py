"""`tui-trader report divergence`: paper measured against live, from the journal (read-only,
beside a running trader). The orders the shadow paper broker mirrored and its fills are
"shadow" events; the venue's fills are the journal's fills under the same client ids.

Per order: fill price live and paper, slippage from the decision's reference price,
fees, seconds to the first fill, the share filled; then live − paper summed, split into
price and fees. A shadow row that cannot be read is skipped and counted, never fatal."""

import sys
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

import aiosqlite
from rich.console import Console
from rich.table import Column, Table

from tui_trader.config import Settings
from tui_trader.domain.enums import Side
from tui_trader.domain.orders import Fill
from tui_trader.execution.divergence import DivergenceReport, Execution, MirroredOrder, compare
from tui_trader.journal import reader
from tui_trader.journal.codec import row_fill
from tui_trader.journal.errors import JournalError
from tui_trader.journal.schema import open_readonly
from tui_trader.runtime.build_trader import journal_path

SHADOW = "shadow"


async def divergence_command(settings: Settings, out: TextIO = sys.stdout) -> int:
    path = journal_path(settings)
    if not path.exists():
        print(f"tui-trader: no journal at {path}: nothing was traded yet", file=sys.stderr)
        return 1
    try:
        async with open_readonly(path) as conn:
            rows = await reader.events(conn, SHADOW)
            live = await reader.fills(conn)
    except (JournalError, OSError, aiosqlite.Error) as exc:
        print(f"tui-trader: cannot read the journal: {exc}", file=sys.stderr)
        return 1
    orders, paper, skipped = read_shadow(rows)
    ids = {o.client_order_id for o in orders}
    report = compare(
        orders,
        [f for f in live if f.client_order_id in ids],
        paper,
        settings.quote_asset,
        settings.base_asset,
    )
    render(report, settings.quote_asset, skipped, Console(file=out, width=_width(out)))
    return 0


def read_shadow(
    rows: Sequence[tuple[datetime, str, dict[str, Any]]],
) -> tuple[list[MirroredOrder], list[Fill], int]:
    """The mirrored orders and the paper fills; the number of rows that could not be read."""
    orders: list[MirroredOrder] = []
    fills: list[Fill] = []
    skipped = 0
    for _ts, kind, payload in rows:
        try:
            if kind == "order":
                orders.append(_order(payload))
            elif kind == "fill":
                fills.append(row_fill(payload))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            skipped += 1
    return orders, fills, skipped


def _order(p: dict[str, Any]) -> MirroredOrder:
    reference = p.get("reference_price")
    return MirroredOrder(
        client_order_id=str(p["client_order_id"]),
        symbol=str(p["symbol"]),
        side=Side(p["side"]),
        quantity=Decimal(p["quantity"]),
        created_at=datetime.fromisoformat(p["created_at"]),
        reference_price=Decimal(reference) if reference is not None else None,
    )


def render(report: DivergenceReport, quote: str, skipped: int, console: Console) -> None:
    if not report.rows:
        console.print("no mirrored orders: the shadow paper broker runs on testnet/live accounts")
    else:
        console.print(_table(report))
        console.print(
            f"live − paper: {report.total:+.4f} {quote} = price {report.price_effect:+.4f} "
            f"+ fees {report.fee_effect:+.4f}, over {len(report.rows)} orders",
            markup=False,
        )
        if report.unmatched_orders:
            console.print(
                f"{len(report.unmatched_orders)} orders filled differently (Filled column); "
                "their unmatched quantity is not priced",
                markup=False,
            )
        if report.unconverted_fees:
            assets = ", ".join(sorted(report.unconverted_fees))
            console.print(f"fees in {assets} are not converted to {quote}", markup=False)
    if skipped:
        console.print(f"{skipped} unreadable shadow rows were skipped", markup=False)


def _table(report: DivergenceReport) -> Table:
    table = Table(
        Column("Time", no_wrap=True),
        Column("Order", no_wrap=True),
        Column("Live px", justify="right"),
        Column("Paper px", justify="right"),
        Column("Slip bp", justify="right"),
        Column("Fill s", justify="right"),
        Column("Filled", justify="right"),
        Column("Δ", justify="right"),
        title="live/paper per mirrored order",
    )
    for row in report.rows:
        o = row.order
        table.add_row(
            f"{o.created_at:%H:%M:%S}",
            f"{o.side} {o.quantity.normalize():f} {o.symbol}",
            _price(row.live),
            _price(row.paper),
            _pair(row.slippage_bps(row.live), row.slippage_bps(row.paper), "+.1f"),
            _pair(row.seconds_to_fill(row.live), row.seconds_to_fill(row.paper), ".3g"),
            f"{row.fill_ratio(row.live):.0%}/{row.fill_ratio(row.paper):.0%}",
            f"{row.price_effect + row.fee_effect:+.4f}",
        )
    return table


def _price(execution: Execution) -> str:
    return f"{execution.average.normalize():f}" if execution.filled else "-"


def _pair(live: Decimal | float | None, paper: Decimal | float | None, spec: str) -> str:
    def one(value: Decimal | float | None) -> str:
        return "-" if value is None else format(value, spec)

    return f"{one(live)}/{one(paper)}"


def _width(out: TextIO) -> int | None:
    """The terminal's width when printing to one, else 100 columns (a file, a pipe)."""
    return None if out.isatty() else 100
