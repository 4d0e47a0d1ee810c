"""The writer against a database locked by another connection: nothing is lost, the
failure is reported, durable callers are told at once, and writing resumes by itself."""

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tui_trader.domain import IntentPurpose, Order, OrderIntent, OrderStatus, OrderType, Side
from tui_trader.journal import DuplicateRecord, Journal, JournalError, WriterTuning
from tui_trader.journal.spill import spill_path

T0 = datetime(2025, 3, 1, tzinfo=UTC)
FAST = WriterTuning(busy_timeout_ms=10, retry_delays=(0.01, 0.02), max_pause=0.05)


def order(n: int) -> Order:
    return Order(
        f"tt-{n}", f"i-{n}", "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.5"), None,
        OrderStatus.NEW, T0, T0,
    )  # fmt: skip


def intent(n: int) -> OrderIntent:
    return OrderIntent(
        f"i-{n}", "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.5"), None,
        IntentPurpose.ENTRY, T0, Decimal("100"),
    )  # fmt: skip


def lock(db: Path) -> sqlite3.Connection:
    """Another connection holding the write lock until it commits."""
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    return blocker


class Reports(list[Exception]):
    """An on_error callback that can be awaited until it has been called n times."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.changed = asyncio.Event()

    def __call__(self, exc: Exception) -> None:
        self.append(exc)
        self.changed.set()
        if self.fail:
            raise RuntimeError("callback bug")

    async def reach(self, n: int) -> None:
        async with asyncio.timeout(3):
            while len(self) < n:
                self.changed.clear()
                await self.changed.wait()


async def open_journal(tmp_path: Path, seen: Reports) -> Journal:
    j = Journal(tmp_path / "j.db", tmp_path / "logs", on_error=seen, tuning=FAST)
    await j.open()
    return j


async def test_locked_database_keeps_records_queued_and_resumes(tmp_path: Path) -> None:
    seen = Reports()
    j = await open_journal(tmp_path, seen)
    blocker = lock(j.db_path)
    j.record_order(order(1))
    await seen.reach(1)
    assert isinstance(seen[0], JournalError)
    assert "failed after 3 attempts: database is locked" in str(seen[0])
    assert list(j.errors) == seen
    assert j.pending == 1

    # The engine must not send: a durable write fails fast instead of hanging.
    with pytest.raises(JournalError, match="database is locked"):
        await asyncio.wait_for(j.record_intent(intent(2), "tt-2"), timeout=3)
    with pytest.raises(JournalError, match="database is locked"):
        await asyncio.wait_for(j.flush(), timeout=3)

    blocker.execute("COMMIT")
    blocker.close()
    await asyncio.wait_for(j.flush(), timeout=3)
    assert j.pending == 0
    assert [o.client_order_id for o in await j.orders()] == ["tt-1"]
    assert await j.known_client_order_ids() == {"tt-1"}  # the refused intent is not there
    lines = (tmp_path / "logs" / "orders.jsonl").read_text().splitlines()
    assert len(lines) == 1  # retries never duplicate JSONL lines
    await j.close()


async def test_a_short_lock_is_absorbed_by_retries(tmp_path: Path) -> None:
    seen = Reports()
    j = Journal(
        tmp_path / "j.db",
        on_error=seen,
        tuning=WriterTuning(busy_timeout_ms=5, retry_delays=(0.05, 0.1, 0.2)),
    )
    await j.open()
    blocker = lock(j.db_path)
    asyncio.get_running_loop().call_later(0.03, blocker.execute, "COMMIT")
    await j.record_intent(intent(1), "tt-1")
    assert seen == []
    assert [cid for _, cid in await j.unfinished_intents()] == ["tt-1"]
    blocker.close()
    await j.close()


async def test_a_failing_error_callback_does_not_stop_the_writer(tmp_path: Path) -> None:
    calls = Reports(fail=True)
    j = await open_journal(tmp_path, calls)
    blocker = lock(j.db_path)
    j.record_order(order(1))
    await calls.reach(2)  # called again on the next round: the writer is still alive
    blocker.execute("COMMIT")
    blocker.close()
    await asyncio.wait_for(j.flush(), timeout=3)
    assert len(await j.orders()) == 1
    await j.close()


async def test_close_while_locked_says_what_was_not_written(tmp_path: Path) -> None:
    seen = Reports()
    j = await open_journal(tmp_path, seen)
    blocker = lock(j.db_path)
    j.record_order(order(1))
    j.record_order(order(2))
    with pytest.raises(JournalError, match="closed with 2 records not written"):
        await asyncio.wait_for(j.close(), timeout=3)
    assert seen and "database is locked" in str(seen[-1])
    await j.close()  # still idempotent
    blocker.execute("COMMIT")
    blocker.close()


async def test_queue_is_bounded_and_drops_are_counted_with_one_report(tmp_path: Path) -> None:
    seen = Reports()
    j = Journal(
        tmp_path / "j.db", on_error=seen, tuning=WriterTuning(busy_timeout_ms=10, max_pending=5)
    )
    await j.open()
    health: list[bool] = []
    j.watch(lambda writable, _detail: health.append(writable))
    blocker = lock(j.db_path)
    for n in range(20):
        j.record_order(order(n))
    assert j.pending == 5 and j.dropped == 15  # never silently: counted
    assert [str(e) for e in seen if "queue full" in str(e)] != []
    assert sum("queue full" in str(e) for e in seen) == 1  # one report, not fifteen
    assert health == [False] and j.failing  # entries stop
    with pytest.raises(JournalError, match=r"20 records not written \(15 dropped"):
        await asyncio.wait_for(j.close(), timeout=5)
    blocker.execute("ROLLBACK")
    blocker.close()


async def test_health_changes_once_per_episode_not_per_retry(tmp_path: Path) -> None:
    seen = Reports()
    j = await open_journal(tmp_path, seen)
    health: list[tuple[bool, str]] = []
    j.watch(lambda writable, detail: health.append((writable, detail)))
    blocker = lock(j.db_path)
    j.record_order(order(1))
    await seen.reach(3)  # three failed rounds
    assert [w for w, _ in health] == [False]
    assert "database is locked" in health[0][1]
    blocker.execute("COMMIT")
    blocker.close()
    await asyncio.wait_for(j.flush(), timeout=3)
    assert [w for w, _ in health] == [False, True]
    assert not j.failing
    await j.close()


async def test_an_exit_intent_never_waits_more_than_a_second(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db", tuning=WriterTuning())  # 5 s busy timeout per attempt
    await j.open()
    blocker = lock(j.db_path)
    loop = asyncio.get_running_loop()
    started = loop.time()
    exit_intent = replace(intent(1), purpose=IntentPurpose.STOP_LOSS, side=Side.SELL)
    assert await j.record_exit_intent(exit_intent, "tt-1") is True  # went to the log
    assert loop.time() - started < 1.0
    assert "tt-1" in spill_path(j.db_path).read_text()
    blocker.execute("COMMIT")
    blocker.close()
    await asyncio.wait_for(j.flush(), timeout=10)
    if (replay := j._replay) is not None:  # folding the log in: let it finish
        await asyncio.wait_for(replay, timeout=5)
    assert not spill_path(j.db_path).exists()
    assert await j.known_client_order_ids() == {"tt-1"}
    with pytest.raises(DuplicateRecord):  # a journaled client id is never sent twice
        await j.record_exit_intent(exit_intent, "tt-1")
    await j.close()


async def test_after_drops_the_journal_is_healthy_once_its_backlog_is_written(
    tmp_path: Path,
) -> None:
    tuning = WriterTuning(busy_timeout_ms=10, retry_delays=(0.01,), max_pause=0.05, max_pending=10)
    j = Journal(tmp_path / "j.db", tuning=tuning)
    await j.open()
    health: list[bool] = []
    j.watch(lambda writable, _detail: health.append(writable))
    blocker = lock(j.db_path)
    for n in range(30):
        j.record_order(order(n))
    blocker.execute("COMMIT")
    blocker.close()
    await asyncio.wait_for(j.flush(), timeout=5)
    assert health == [False, True] and not j.failing
    assert (j.pending, j.dropped) == (0, 20)
    assert len(await j.orders()) == 10  # what was kept is written, in order
    with pytest.raises(JournalError, match=r"20 records not written \(20 dropped"):
        await j.close()  # the drops are still said at the end
