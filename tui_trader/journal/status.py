"""`tui-trader status`: a summary read from another process while the trader runs.
It opens the journal with a `mode=ro` URI: in WAL mode it never blocks the writer."""

import os
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from tui_trader.domain import Balance, Order, Position, SafetyEvent
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.money import minor_units
from tui_trader.journal import reader
from tui_trader.journal.reader import RunInfo
from tui_trader.journal.schema import SCHEMA_VERSION, open_readonly
from tui_trader.journal.values import dt_text


@dataclass(frozen=True, slots=True)
class StatusReport:
    db_path: Path
    schema_version: int
    run: RunInfo | None
    run_alive: bool | None  # the run's pid exists on this host; None if no open run
    balances_at: datetime | None
    balances: dict[str, Balance]
    equity: Decimal | None
    positions: tuple[Position, ...]  # open positions of the latest snapshot
    open_orders: tuple[Order, ...]
    last_safety_event: SafetyEvent | None
    trading: SafetyEvent | None  # the latest trading state change of the latest run
    flat_proof: SafetyEvent | None  # the verdict read from the venue after the last kill
    counts: dict[str, int]  # rows per table: intents, orders, fills, ...

    @property
    def open_orders_count(self) -> int:
        return len(self.open_orders)

    def lines(self, quote_asset: str = "") -> list[str]:
        """The report as plain text lines for the terminal; equity in `quote_asset`'s
        minor unit (KRW: none; cents by default)."""
        return [
            f"journal: {self.db_path} (schema v{self.schema_version})",
            _run_line(self.run, self.run_alive),
            _trading_line(self.trading, self.run_alive),
            *_flat_lines(self.flat_proof),
            *_account_lines(self, quote_asset),
            f"open orders: {self.open_orders_count}",
            *(f"  {_order_text(o)}" for o in self.open_orders),
            _safety_line(self.last_safety_event),
            "records: " + ", ".join(f"{name} {n}" for name, n in self.counts.items()),
        ]


def _run_line(run: RunInfo | None, alive: bool | None) -> str:
    if run is None:
        return "run: none recorded"
    head = f"run #{run.id}: {run.mode} {run.market} feed={run.feed}"
    if run.ended_at is not None:
        return f"{head}, {run.state}, ended {dt_text(run.ended_at)}"
    health = {True: "alive", False: "NOT running (crashed or killed?)", None: "unknown"}[alive]
    # The run record says only that the process is up: whether the engine trades is the
    # trading state's to say (the next line), so never "RUNNING" here.
    return f"{head}, process up since {dt_text(run.started_at)} (pid {run.pid} {health})"


def _trading_line(change: SafetyEvent | None, alive: bool | None) -> str:
    """The running trader's trading state, from the one place it changes."""
    headline = str(change.data.get("headline", "")) if change is not None else ""
    if not alive:
        last = f" (last: {headline})" if headline else ""
        return f"trading state: no trader running{last}"
    if change is None:
        return "trading state: unknown (the trader has not journaled it yet)"
    return f"trading state: {headline} (since {dt_text(change.ts)})"


def _flat_lines(verdict: SafetyEvent | None) -> list[str]:
    """After a kill that closed positions: what the venue showed, FLAT or NOT FLAT."""
    if verdict is None:
        return []
    text = verdict.message.removeprefix("after the kill: ")
    return [f"after the last kill: {text} (read {dt_text(verdict.ts)})"]


def _account_lines(report: "StatusReport", quote_asset: str) -> list[str]:
    if report.balances_at is None:
        return ["balances: none recorded"]
    assets = ", ".join(
        f"{b.asset} {b.free}" + (f" (+{b.locked} locked)" if b.locked else "")
        for b in report.balances.values()
    )
    places = minor_units(quote_asset)
    equity = "unknown" if report.equity is None else f"{report.equity:.{places}f}"
    unit = f" {quote_asset}" if quote_asset and report.equity is not None else ""
    # The books are journaled at market time, which a fast demo runs ahead: say so.
    at = f"{dt_text(report.balances_at)} (market time)"
    lines = [f"equity: {equity}{unit} at {at}", f"balances: {assets}"]
    lines.append(f"open positions: {len(report.positions)}")
    lines += [
        f"  {p.symbol} {p.quantity} @ {p.average_entry}"
        + (f", liquidation {p.liquidation_price}" if p.liquidation_price else "")
        for p in report.positions
    ]
    return lines


def _order_text(o: Order) -> str:
    price = f" @ {o.price}" if o.price is not None else ""
    filled = f" filled {o.filled_quantity}" if o.filled_quantity else ""
    foreign = "foreign " if o.is_foreign else ""
    what = f"{foreign}{o.side} {o.type_label} {o.quantity} {o.symbol}{price}"
    return f"{o.client_order_id} {what} {o.status}{filled}"


def _safety_line(event: SafetyEvent | None) -> str:
    if event is None:
        return "last safety event: none"
    what = f"{event.severity} {event.kind}" + (f" {event.symbol}" if event.symbol else "")
    return f"last safety event: {dt_text(event.ts)} {what}: {event.message}"


def _pid_alive(run: RunInfo | None) -> bool | None:
    if run is None or run.ended_at is not None or run.pid <= 0:
        return None
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


async def read_status(db_path: Path) -> StatusReport:
    async with open_readonly(db_path) as conn:
        run = await reader.latest_run(conn)
        balances = await reader.latest_balances(conn)
        positions = await reader.latest_positions(conn)
        events = await reader.safety_events(conn, limit=1)
        trading = await reader.latest_safety_event(conn, SafetyKind.TRADING_STATE)
        return StatusReport(
            db_path=db_path,
            schema_version=SCHEMA_VERSION,
            run=run,
            run_alive=_pid_alive(run),
            balances_at=balances[0] if balances else None,
            balances=balances[1] if balances else {},
            equity=balances[2] if balances else None,
            positions=tuple(p for p in positions if p.is_open),
            open_orders=tuple(await reader.open_orders(conn)),
            last_safety_event=events[0] if events else None,
            trading=trading,
            flat_proof=await reader.latest_safety_event(
                conn, SafetyKind.FLAT_VERIFIED, SafetyKind.NOT_FLAT
            ),
            counts=await reader.counts(conn),
        )


async def check_journal(db_path: Path) -> list[str]:
    """Integrity problems of the journal at `db_path` in words ([] = sound), read-only."""
    async with open_readonly(db_path) as conn:
        return await reader.integrity_check(conn)
