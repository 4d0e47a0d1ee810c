"""The single writer task: batches queued operations into one transaction each.

Failure policy: a failing batch is retried with backoff; when the retries run out the
failure is reported, callers awaiting durability get a JournalError at once (so the
engine never sends an order whose intent is not on disk), and every other operation
stays queued for the next round. The task never dies.

Health: the first failed round flips `failing` and is logged once (ERROR); later rounds
log at DEBUG; the first commit afterwards flips it back (INFO). Listeners hear only the
flips, so a full disk gives one event, not one per retry.

Bound: at most `max_pending` records wait in the queue. Past it, records nobody waits
for are dropped and counted in `dropped` (one CRITICAL report per episode); records a
caller waits for (intents) are never dropped, they fail fast like any durable write."""

import asyncio
import contextlib
import logging
import sqlite3
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from tui_trader.journal.errors import DuplicateRecord, JournalError
from tui_trader.journal.jsonl import RotatingJsonl
from tui_trader.journal.ops import Params, WriteOp

log = logging.getLogger(__name__)
Outcome = int | None  # lastrowid (solo ops) or 0; None = duplicate, nothing written


@dataclass(frozen=True, slots=True)
class WriterTuning:
    max_batch: int = 500
    max_delay: float = 0.05  # how long a batch may wait for more items (s)
    retry_delays: tuple[float, ...] = (0.05, 0.25, 1.0)  # between attempts of one batch
    max_pause: float = 30.0  # cap of the pause between failed rounds (s)
    busy_timeout_ms: int = 5000
    # ~50 MB of queued records at most: only reached when the journal cannot write.
    max_pending: int = 50_000


Health = Callable[[bool, str], None]  # (writable, detail), called on changes only


class BatchWriter:
    def __init__(
        self,
        conn: aiosqlite.Connection,
        jsonl: RotatingJsonl | None,
        tuning: WriterTuning,
        report: Callable[[Exception], None],
        health: Health | None = None,
    ) -> None:
        self._conn = conn
        self._jsonl = jsonl
        self._tuning = tuning
        self._report = report
        self._queue: deque[WriteOp] = deque()
        self._waiting = 0  # queued ops with a waiter: commit those without lingering
        self._wake = asyncio.Event()
        self._nudge = asyncio.Event()  # ends a pause between failed rounds early
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._health = health
        self.failing = False
        self.dropped = 0  # records refused past max_pending, since start
        self._dropping = False  # within an episode of drops (reported once)
        self._jsonl_lost = 0  # JSONL lines lost in the current JSONL failure episode

    @property
    def pending(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="journal-writer")
        self._task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("journal writer stopped: %r", exc)
            self._report(JournalError(f"journal writer stopped: {exc!r}"))
            self._set_failing(True, f"journal writer stopped: {exc!r}")

    def submit(self, op: WriteOp) -> None:
        if self._task is not None and self._task.done():
            raise JournalError(f"journal writer has stopped; {len(self._queue)} records unwritten")
        if op.waiter is None and len(self._queue) >= self._tuning.max_pending:
            self._drop()
            return
        self._queue.append(op)
        if op.waiter is not None:
            self._waiting += 1
            self._nudge.set()
        self._wake.set()

    async def flush(self) -> None:
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.submit(WriteOp(waiter=waiter))
        await waiter

    async def stop(self) -> None:
        """Write what is queued (one more round if failing), then end the task."""
        self._closing = True
        self._wake.set()
        self._nudge.set()
        if self._task is not None:
            # A writer that died was already reported by _ended; what it left is pending.
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while batch := await self._next_batch():
            try:
                outcomes = await self._commit(batch)
            except Exception as exc:  # the policy above: report, keep, retry later
                failures += 1
                self._give_up(batch, exc)
                if self._closing:
                    return
                await self._pause(failures)
                continue
            failures = 0
            # Healthy again once the backlog is half gone: a queue hovering at its limit
            # must not flip entries (and CRITICAL events) on and off batch by batch.
            if len(self._queue) <= self._tuning.max_pending // 2:
                self._dropping = False  # a new episode of drops is worth a new report
                self._set_failing(False, "")
            await self._finish(batch, outcomes)

    def _drop(self) -> None:
        self.dropped += 1
        if self._dropping:
            return
        self._dropping = True
        message = (
            f"journal queue full ({self._tuning.max_pending} records waiting): records are "
            f"being dropped and counted ({self.dropped} so far); entries are stopped"
        )
        log.critical("%s", message)
        self._report(JournalError(message))
        self._set_failing(True, message)

    def _set_failing(self, failing: bool, detail: str) -> None:
        if failing == self.failing:
            return
        self.failing = failing
        if not failing:
            log.info("journal writable again")
        if self._health is not None:
            try:
                self._health(not failing, detail)
            except Exception:  # a broken listener must not stop the writer
                log.exception("journal health listener failed")

    async def _next_batch(self) -> list[WriteOp]:
        while not self._queue:
            if self._closing:
                return []
            self._wake.clear()
            await self._wake.wait()
        await self._linger()
        batch = [
            self._queue.popleft() for _ in range(min(len(self._queue), self._tuning.max_batch))
        ]
        self._waiting -= sum(1 for op in batch if op.waiter is not None)
        return batch

    async def _linger(self) -> None:
        """Let a trickle of writes gather into one transaction, unless someone waits."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._tuning.max_delay
        while not (self._waiting or self._closing) and len(self._queue) < self._tuning.max_batch:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)

    async def _commit(self, batch: list[WriteOp]) -> list[Outcome]:
        delays = self._tuning.retry_delays
        for attempt, delay in enumerate(delays):
            try:
                return await self._apply(batch)
            except Exception as exc:
                # One line when trouble starts; every later retry is known news.
                quiet = self.failing or attempt > 0
                level = logging.DEBUG if quiet else logging.WARNING
                log.log(level, "journal batch of %d failed, retrying: %s", len(batch), exc)
                await asyncio.sleep(delay)
        return await self._apply(batch)

    async def _apply(self, batch: list[WriteOp]) -> list[Outcome]:
        if not any(op.steps for op in batch):
            return [0] * len(batch)  # only flush markers: nothing to write
        conn = self._conn
        await conn.execute("BEGIN IMMEDIATE")
        try:
            outcomes: list[Outcome] = []
            groups: dict[str, list[Params]] = {}
            for op in batch:
                if op.solo:
                    await self._run_groups(groups)
                    outcomes.append(await self._run_solo(op))
                    continue
                for step in op.steps:
                    groups.setdefault(step.sql, []).extend(step.rows)
                outcomes.append(0)
            await self._run_groups(groups)
            await conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await conn.execute("ROLLBACK")
            raise
        return outcomes

    async def _run_groups(self, groups: dict[str, list[Params]]) -> None:
        """One executemany per statement, in first-seen order (history after upsert)."""
        for sql, rows in groups.items():
            await self._conn.executemany(sql, rows)
        groups.clear()

    async def _run_solo(self, op: WriteOp) -> Outcome:
        first, *rest = op.steps
        cursor = await self._conn.execute(first.sql, first.rows[0])
        if cursor.rowcount == 0:
            return None
        for step in rest:
            await self._conn.executemany(step.sql, step.rows)
        return cursor.lastrowid or 0

    async def _finish(self, batch: list[WriteOp], outcomes: list[Outcome]) -> None:
        lines = [line for op, out in zip(batch, outcomes, strict=True) if out is not None
                 for line in op.lines]  # fmt: skip
        if lines and self._jsonl is not None:
            await self._write_jsonl(lines)
        for op, out in zip(batch, outcomes, strict=True):
            if op.waiter is None or op.waiter.done():
                continue
            if out is None:
                op.waiter.set_exception(DuplicateRecord(op.duplicate or "duplicate record ignored"))
            else:
                op.waiter.set_result(out)

    async def _write_jsonl(self, lines: list[tuple[str, str]]) -> None:
        """SQLite holds the records: a JSONL gap is reported once per episode, counted."""
        assert self._jsonl is not None
        try:
            await asyncio.to_thread(self._jsonl.write, lines)
        except Exception as exc:
            first = not self._jsonl_lost
            self._jsonl_lost += len(lines)
            if first:
                message = f"JSONL write failed, lines are lost until it works again: {exc}"
                log.error("journal: %s", message)
                self._report(JournalError(message))
            return
        if self._jsonl_lost:
            log.warning("journal: JSONL writable again; %d lines were lost", self._jsonl_lost)
            self._jsonl_lost = 0

    def _give_up(self, batch: list[WriteOp], exc: Exception) -> None:
        attempts = len(self._tuning.retry_delays) + 1
        error = JournalError(f"journal write failed after {attempts} attempts: {exc}")
        error.__cause__ = exc
        if not self.failing:
            log.error("journal: %s", error)
        self._report(error)
        waited = [op for op in (*batch, *self._queue) if op.waiter is not None]
        for op in waited:
            if op.waiter is not None and not op.waiter.done():
                op.waiter.set_exception(error)
        kept = [op for op in batch if op.waiter is None]
        self._queue = deque(kept + [op for op in self._queue if op.waiter is None])
        self._waiting = 0
        self._set_failing(True, str(error))

    async def _pause(self, failures: int) -> None:
        base = self._tuning.retry_delays[-1] if self._tuning.retry_delays else 0.1
        delay = min(self._tuning.max_pause, base * 2 ** (failures - 1))
        self._nudge.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._nudge.wait(), delay)
