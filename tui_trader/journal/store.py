"""The Journal: the trader's durable record (SQLite in WAL mode plus JSONL logs).

Writes are queued without blocking and committed in batches by one writer task; only
`record_intent`, `record_exit_intent` and `start_run` wait for the commit. Reads use a
separate read-only connection and see committed data: `await flush()` first to read your
own writes.

Opening refuses (JournalLost) a data dir that was used before whose journal is missing,
empty or has no schema, unless `new_account`: "used before" means the marker file
`journal.db.created` (written once a journal has a schema), JSONL history in the logs
folder, or spilled exit intents. Opening also proves the journal can be written, so a
full disk stops the trader at start, not at its first order."""

import asyncio
import contextlib
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
    VenueFee,
)
from tui_trader.journal import reader
from tui_trader.journal.errors import DuplicateRecord, JournalError, JournalLost
from tui_trader.journal.jsonl import RotatingJsonl
from tui_trader.journal.ops import INSERT_INTENT, OpBuilder, Step, WriteOp
from tui_trader.journal.preflight import (
    lost_message,
    lost_reason,
    prove_writable,
    transaction,
    write_marker,
)
from tui_trader.journal.reader import PAPER_ACCOUNT, RunInfo
from tui_trader.journal.schema import connect, migrate
from tui_trader.journal.spill import IntentSpill, spill_path
from tui_trader.journal.values import dt_text
from tui_trader.journal.writer import BatchWriter, Health, WriterTuning

log = logging.getLogger(__name__)
MIB = 1024 * 1024
# A protective exit waits at most this long for a commit before its intent goes to the
# fsync'd exit-intent log instead (the whole journal step stays well under 1 s).
EXIT_WAIT_S = 0.5


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
        new_account: bool = False,
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
        self._new_account = new_account
        self._spill = IntentSpill(spill_path(self.db_path))
        self._replay: asyncio.Task[None] | None = None
        self._watchers: list[Health] = []

    # --- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Create folders, migrate the schema, prove the journal writable, fold in exit
        intents spilled by an earlier run, start the writer task."""
        if self._closed:
            raise JournalError("journal was closed; create a new Journal to reopen")
        if self._writer is not None:
            return
        self._make_folders()
        if not self._new_account and (
            reason := await asyncio.to_thread(lost_reason, self.db_path, self.jsonl_dir)
        ):
            raise JournalLost(lost_message(reason))
        conn = await connect(self.db_path, busy_timeout_ms=self._tuning.busy_timeout_ms)
        try:
            await self._prepare(conn)
            self._read = await connect(self.db_path, readonly=True)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self._writer = BatchWriter(
            conn, self._jsonl, self._tuning, self._report, health=self._health_changed
        )
        self._writer.start()

    async def _prepare(self, conn: aiosqlite.Connection) -> None:
        now = dt_text(self._clock.now())
        await migrate(conn, self.db_path, now)
        await prove_writable(conn, self.db_path, now)
        await self._fold_in_spill(conn)
        await asyncio.to_thread(write_marker, self.db_path, now)

    async def _fold_in_spill(self, conn: aiosqlite.Connection) -> None:
        # Twice: a replay cut short leaves its batch aside and the live file behind it.
        for _ in range(2):
            rows = await asyncio.to_thread(self._spill.take)
            if rows:
                try:
                    await transaction(conn, INSERT_INTENT, rows)
                except Exception as exc:
                    raise JournalError(f"cannot reconcile spilled exit intents: {exc}") from exc
                log.warning("journal: %d exit intents from the exit-intent log", len(rows))
            await asyncio.to_thread(self._spill.finish)

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
        pending = dropped = 0
        if self._replay is not None:  # what it has not folded in, the next open does
            self._replay.cancel()
            await asyncio.gather(self._replay, return_exceptions=True)
        if self._writer is not None:
            await self._writer.stop()
            pending, dropped = self._writer.pending, self._writer.dropped
        for conn in (self._read, self._conn):
            if conn is not None:
                with contextlib.suppress(Exception):  # nothing left to lose by now
                    await conn.close()
        if self._jsonl is not None:
            try:
                self._jsonl.close()
            except OSError as exc:  # a last buffered flush on a full disk
                self.errors.append(JournalError(f"JSONL close failed: {exc}"))
        if pending or dropped:
            last = self.errors[-1] if self.errors else "unknown error"
            raise JournalError(
                f"journal closed with {pending + dropped} records not written"
                f" ({dropped} dropped past the queue limit): {last}"
            )

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (JournalError if failing)."""
        await self._live_writer().flush()

    @property
    def pending(self) -> int:
        """Records queued and not yet committed."""
        return self._writer.pending if self._writer is not None else 0

    @property
    def failing(self) -> bool:
        """The last write round failed (or records were dropped); cleared by a commit."""
        return self._writer is not None and self._writer.failing

    @property
    def dropped(self) -> int:
        """Records refused because the queue was full (see WriterTuning.max_pending)."""
        return self._writer.dropped if self._writer is not None else 0

    def watch(self, listener: Health) -> None:
        """`listener(writable, detail)` is called when writing starts failing and when it
        works again, not on every retry."""
        self._watchers.append(listener)

    def _health_changed(self, writable: bool, detail: str) -> None:
        if self._closed:  # the last round at close: nobody to tell, next open folds in
            return
        if writable and self._spill.pending():
            self._start_replay()
        for listener in self._watchers:
            listener(writable, detail)

    def _start_replay(self) -> None:
        if self._replay is None and not self._closed:
            self._replay = asyncio.create_task(self._replay_spill(), name="journal-spill")

    async def _replay_spill(self) -> None:
        """Fold the exit-intent log into the journal once it commits, then remove it
        (exits spilled meanwhile are taken on the next pass)."""
        try:
            while await asyncio.to_thread(self._spill.pending):
                rows = await asyncio.to_thread(self._spill.take)
                for row in rows:
                    self._submit(WriteOp((Step(INSERT_INTENT, (row,)),)))
                await self.flush()
                await asyncio.to_thread(self._spill.finish)
                log.info("journal: %d spilled exit intents reconciled", len(rows))
        except (JournalError, OSError) as exc:  # kept on disk; tried again next time
            log.debug("journal: spilled exit intents not reconciled yet: %s", exc)
        finally:
            self._replay = None

    def _live_writer(self) -> BatchWriter:
        if self._closed:
            raise JournalError("journal is closed")
        if self._writer is None:
            raise JournalError("journal is not open; await open() first")
        return self._writer

    def _submit(self, op: WriteOp) -> None:
        self._live_writer().submit(op)

    def _report(self, exc: Exception) -> None:
        self.errors.append(exc)  # the writer logs once per episode, not per report
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

    async def record_exit_intent(
        self, intent: OrderIntent, client_order_id: str, wait: float = EXIT_WAIT_S
    ) -> bool:
        """Durable within ~`wait` seconds whatever the journal does: committed, or else
        appended (fsync'd) to the exit-intent log and reconciled later. True when it went
        to that log. DuplicateRecord for a journaled client id; JournalError when neither
        place can take it: then do not send the order."""
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        op = self._ops.intent(intent, client_order_id, waiter)
        self._submit(op)
        if not self.failing:  # failing: no commit is coming soon, do not wait for one
            try:
                await asyncio.wait_for(asyncio.shield(waiter), wait)
                return False
            except DuplicateRecord:
                raise
            except (TimeoutError, JournalError):
                pass
        waiter.add_done_callback(_consume)  # its late outcome no longer matters
        try:
            await asyncio.to_thread(self._spill.append, op.steps[0].rows[0])
        except OSError as exc:
            raise JournalError(f"journal busy and exit-intent log unwritable: {exc}") from exc
        self._start_replay()  # folded in as soon as the journal commits again
        return True

    def record_order(self, order: Order, account: str = PAPER_ACCOUNT) -> None:
        """`account`: whose order (PAPER_ACCOUNT, or an exchange account's tag)."""
        self._submit(self._ops.order(order, account))

    def record_fill(self, fill: Fill, account: str = PAPER_ACCOUNT) -> None:
        """A fill already journaled (same symbol and trade id) is ignored."""
        self._submit(self._ops.fill(fill, account))

    def record_funding(self, fee: FundingFee) -> None:
        """A settlement already journaled (same ref) is ignored."""
        self._submit(self._ops.funding(fee))

    def record_venue_fee(self, fee: VenueFee) -> None:
        """A charge already journaled (same ref) is ignored."""
        self._submit(self._ops.venue_fee(fee))

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

    def set_run_venue(self, run_id: int, feed: str, mode: str) -> None:
        """The run now trades on another feed (the simulated market -> Binance) or in
        another mode (paper -> live)."""
        self._submit(self._ops.run_venue(run_id, feed, mode))

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

    async def venue_fees(self, since: datetime | None = None) -> list[VenueFee]:
        """Oldest first."""
        return await reader.venue_fees(self._reader(), since)

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


def _consume(future: "asyncio.Future[int]") -> None:
    """Retrieve an abandoned waiter's exception, so asyncio does not log it."""
    if not future.cancelled():
        future.exception()
