"""A journal locked by another process (issue #11 item 9): a protective exit never waits
more than a second on it. Its intent goes to the fsync'd exit-intent log before the
order is sent, and is folded into the journal once it commits again (or at the next
start). Entries still wait for the journal as before."""

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.test_trader_faults import hold, tick
from tests.trader_support import feed, make_settings, opened, running_engine, sim_events
from tui_trader.domain.enums import IntentPurpose
from tui_trader.journal.errors import JournalError
from tui_trader.journal.spill import spill_path
from tui_trader.journal.store import Journal
from tui_trader.journal.writer import WriterTuning
from tui_trader.runtime.build_trader import journal_path
from tui_trader.runtime.trader import Trader

HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
conn.execute("ROLLBACK")
"""


@contextmanager
def locked_by_another_process(db: Path) -> Iterator[None]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        if holder.stdin is not None:
            holder.stdin.close()
        holder.wait(timeout=10)


async def crash_below_stop(trader: Trader, steps: int) -> list[float]:
    """Prices far below the entry, tick by tick; how long each tick's orders took."""
    entry = trader.core.parts.portfolio.position("BTCUSDT").average_entry
    crash, ts = entry * Decimal("0.9"), trader.parts.market_clock.now()
    waits = []
    for i in range(1, steps + 1):
        started = time.monotonic()
        trader.on_market_event(tick("BTCUSDT", ts + timedelta(seconds=i), crash - i))
        await trader.engine.drain()
        waits.append(time.monotonic() - started)
    return waits


def exits(trader: Trader) -> list[str]:
    recent = trader.core.parts.orders.recent()
    return [o.client_order_id for o in recent if o.purpose is IntentPurpose.STOP_LOSS]


@pytest.mark.fault(
    "journal locked by another process",
    "stop-loss sent within 1 s via the exit-intent log, folded into the journal after",
)
async def test_stop_loss_never_waits_on_a_locked_journal(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000")
    trader = opened(settings)
    async with running_engine(trader):
        events = sim_events(trader)
        await feed(trader, events, 10)
        await trader.start()
        await hold(trader, "BTCUSDT")
        await feed(trader, events, 20)
        with locked_by_another_process(journal_path(settings)):
            waits = await crash_below_stop(trader, 3)
            assert max(waits) < 1.0, waits  # was ~22 s per blocked intent
            assert trader.core.parts.portfolio.held("BTCUSDT") == 0
            stops = exits(trader)
            assert len(stops) == 1
            spilled = spill_path(journal_path(settings))
            assert stops[0] in spilled.read_text()  # on disk before it was sent
        await trader.parts.journal.flush()
        await trader.parts.journal.flush()  # the fold-in's own writes
        assert stops[0] in await trader.parts.journal.known_client_order_ids()


@pytest.mark.fault(
    "journal locked by another process",
    "a spilled exit survives a restart: journaled, its client id never reused",
)
async def test_spilled_exit_is_folded_in_at_the_next_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000")
    trader = opened(settings)
    # Give up on the lock quickly, so the shutdown below does not take 20 s.
    trader.parts.journal._tuning = WriterTuning(busy_timeout_ms=200, retry_delays=(0.01,))
    await trader.open()
    engine = asyncio.create_task(trader.engine.run())
    try:
        events = sim_events(trader)
        await feed(trader, events, 10)
        await trader.start()
        await hold(trader, "BTCUSDT")
        await feed(trader, events, 20)
        with locked_by_another_process(journal_path(settings)):
            await crash_below_stop(trader, 2)
            stops = exits(trader)
            assert len(stops) == 1
            with pytest.raises(JournalError, match="records not written"):
                await trader.close()  # as good as a crash: the stop-loss order is lost
    finally:
        engine.cancel()
    assert spill_path(journal_path(settings)).exists()
    journal = Journal(journal_path(settings), tmp_path / "logs")
    await journal.open()
    try:
        assert stops[0] in await journal.known_client_order_ids()  # never reused
        assert stops[0] in [cid for _, cid in await journal.unfinished_intents()]
        assert not spill_path(journal_path(settings)).exists()
    finally:
        await journal.close()
