"""The Journal: the trader's durable record (SQLite in WAL mode plus JSONL logs).

Writes are queued without blocking and committed in batches by one writer task; only
`record_intent` and `start_run` wait for the commit. Reads use a separate read-only
connection and see committed data: `await flush()` first to read your own writes."""

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosqlite

from tui_trader.clock import Clock, SystemClock
from tui_trader.domain import (
    Balance,
    Fill,
    FundingFee,
    Order,
    OrderIntent,
    Position,
    SafetyEvent,
)
from tui_trader.journal import reader
from tui_trader.journal.errors import JournalError
from tui_trader.journal.jsonl import RotatingJsonl
from tui_trader.journal.ops import OpBuilder, WriteOp
from tui_trader.journal.reader import PAPER_ACCOUNT, RunInfo
from tui_trader.journal.schema import connect, migrate
from tui_trader.journal.values import dt_text
from tui_trader.journal.writer import BatchWriter, WriterTuning

log = logging.getLogger(__name__)
MIB = 1024 * 1024


class Journal:
    def __init__(
        self,
        db_path: Path,
        jsonl_dir: Path | None = None,
        jsonl_max_bytes: int = 10 * MIB,
        jsonl_backups: int = 5,
        redact: Callable[[str], str] | None = None,
        *,
        clock: Clock | None = None,
        on_error: Callable[[Exception], None] | None = None,
        tuning: WriterTuning | None = None,
    ) -> None:
        self.db_path = Path(db_path)
        self.jsonl_dir = jsonl_dir
        self.errors: deque[Exception] = deque(maxlen=100)  # latest writer failures
        self._jsonl = (
            RotatingJsonl(jsonl_dir, jsonl_max_bytes, jsonl_backups) if jsonl_dir else None
        )
        self._ops = OpBuilder(redact, jsonl=jsonl_dir is not None)
        self._clock = clock or SystemClock()
        self._on_error = on_error
        self._tuning = tuning or WriterTuning()
        self._conn: aiosqlite.Connection | None = None
        self._read: aiosqlite.Connection | None = None
        self._writer: BatchWriter | None = None
        self._closed = False

    # --- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Create folders, migrate the schema, start the writer task."""
        if self._closed:
            raise JournalError("journal was closed; create a new Journal to reopen")
        if self._writer is not None:
            return
        self._make_folders()
        conn = await connect(self.db_path, busy_timeout_ms=self._tuning.busy_timeout_ms)
        try:
            await migrate(conn, self.db_path, dt_text(self._clock.now()))
            self._read = await connect(self.db_path, readonly=True)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self._writer = BatchWriter(conn, self._jsonl, self._tuning, self._report)
        self._writer.start()

    def _make_folders(self) -> None:
        for folder in (self.db_path.parent, self.jsonl_dir):
            if folder is None:
                continue
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise JournalError(f"cannot create journal folder {folder}: {exc}") from exc

    async def close(self) -> None:
        """Commit everything queued, stop the writer, close files. Idempotent. Raises
        JournalError (after closing) if queued records could not be written."""
        if self._closed:
            return
        self._closed = True
        pending = 0
        if self._writer is not None:
            await self._writer.stop()
            pending = self._writer.pending
        for conn in (self._read, self._conn):
            if conn is not None:
                await conn.close()
        if self._jsonl is not None:
            self._jsonl.close()
        if pending:
            last = self.errors[-1] if self.errors else "unknown error"
            raise JournalError(f"journal closed with {pending} records not written: {last}")

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (JournalError if failing)."""
        await self._live_writer().flush()

    @property
    def pending(self) -> int:
        """Records queued and not yet committed."""
        return self._writer.pending if self._writer is not None else 0

    def _live_writer(self) -> BatchWriter:
        if self._closed:
            raise JournalError("journal is closed")
        if self._writer is None:
            raise JournalError("journal is not open; await open() first")
        return self._writer

    def _submit(self, op: WriteOp) -> None:
        self._live_writer().submit(op)

    def _report(self, exc: Exception) -> None:
        self.errors.append(exc)
        log.error("journal: %s", exc)
        if self._on_error is not None:
            try:
                self._on_error(exc)
            except Exception:  # a broken callback must not stop the writer
                log.exception("journal on_error callback failed")

    # --- writes ----------------------------------------------------------------------

    def record_event(self, category: str, kind: str, payload: Mapping[str, Any]) -> None:
        self._submit(self._ops.event(self._clock.now(), category, kind, payload))

    async def record_intent(self, intent: OrderIntent, client_order_id: str) -> None:
        """Return only once the intent is committed. JournalError if the client order id
        is already journaled or the journal cannot write: then do not send the order."""
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._submit(self._ops.intent(intent, client_order_id, waiter))
        await waiter

    def record_order(self, order: Order, account: str = PAPER_ACCOUNT) -> None:
        """`account`: whose order (PAPER_ACCOUNT, or an exchange account's tag)."""
        self._submit(self._ops.order(order, account))

    def record_fill(self, fill: Fill, account: str = PAPER_ACCOUNT) -> None:
        """A fill already journaled (same symbol and trade id) is ignored."""
        self._submit(self._ops.fill(fill, account))

    def record_funding(self, fee: FundingFee) -> None:
        """A settlement already journaled (same ref) is ignored."""
        self._submit(self._ops.funding(fee))

    def record_risk_decision(
        self,
        intent_id: str,
        client_order_id: str,
        approved: bool,
        reason: str,
        checks: Sequence[Mapping[str, Any]],
    ) -> None:
        now = self._clock.now()
        self._submit(self._ops.risk(now, intent_id, client_order_id, approved, reason, checks))

    def record_safety(self, event: SafetyEvent) -> None:
        self._submit(self._ops.safety(event))

    def record_balances(
        self, ts: datetime, balances: Mapping[str, Balance], equity: Decimal
    ) -> None:
        self._submit(self._ops.balances(ts, balances, equity))

    def record_positions(self, ts: datetime, positions: Sequence[Position]) -> None:
        self._submit(self._ops.positions(ts, positions))

    async def start_run(
        self, mode: str, market: str, feed: str, started_at: datetime, pid: int
    ) -> int:
        """Journal the start of an engine run (committed before returning); its id."""
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._submit(self._ops.start_run(started_at, mode, market, feed, pid, waiter))
        return await waiter

    def end_run(self, run_id: int, ended_at: datetime, final_state: str) -> None:
        self._submit(self._ops.end_run(run_id, ended_at, final_state))

    def set_run_feed(self, run_id: int, feed: str) -> None:
        """The run now trades on another feed (the simulated market -> Binance)."""
        self._submit(self._ops.run_feed(run_id, feed))

    def set_meta(self, key: str, value: str) -> None:
        self._submit(self._ops.meta(key, value))

    # --- reads (committed data) ------------------------------------------------------

    def _reader(self) -> aiosqlite.Connection:
        self._live_writer()
        if self._read is None:
            raise JournalError("journal is not open; await open() first")
        return self._read

    async def unfinished_intents(self) -> list[tuple[OrderIntent, str]]:
        return await reader.unfinished_intents(self._reader())

    async def open_orders(self, account: str | None = None) -> list[Order]:
        """Of `account` only when given (PAPER_ACCOUNT includes pre-v3 rows)."""
        return await reader.open_orders(self._reader(), account)

    async def orders(self, limit: int | None = None, since: datetime | None = None) -> list[Order]:
        """Newest first."""
        return await reader.orders(self._reader(), limit, since)

    async def fills(self, since: datetime | None = None, account: str | None = None) -> list[Fill]:
        """Oldest first; of `account` only when given (PAPER_ACCOUNT includes pre-v3 rows)."""
        return await reader.fills(self._reader(), since, account)

    async def funding_fees(self, since: datetime | None = None) -> list[FundingFee]:
        """Oldest first."""
        return await reader.funding_fees(self._reader(), since)

    async def known_client_order_ids(self) -> set[str]:
        return await reader.known_client_order_ids(self._reader())

    async def safety_events(self, limit: int = 50) -> list[SafetyEvent]:
        """Newest first."""
        return await reader.safety_events(self._reader(), limit)

    async def latest_balances(self) -> tuple[datetime, dict[str, Balance], Decimal] | None:
        return await reader.latest_balances(self._reader())

    async def latest_positions(self) -> list[Position]:
        return await reader.latest_positions(self._reader())

    async def latest_run(self) -> RunInfo | None:
        return await reader.latest_run(self._reader())

    async def get_meta(self, key: str) -> str | None:
        return await reader.get_meta(self._reader(), key)

    async def integrity_check(self) -> list[str]:
        return await reader.integrity_check(self._reader())
