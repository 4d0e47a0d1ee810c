"""SIGKILL a process in the middle of journaling: what it was told is committed must be
there after a restart, and the database must pass its integrity check."""

import asyncio
import sys
from pathlib import Path

from tui_trader.journal import Journal

WRITER = """
import asyncio, sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from tui_trader.domain import IntentPurpose, Order, OrderIntent, OrderStatus, OrderType, Side
from tui_trader.journal import Journal

async def main(db):
    journal = Journal(Path(db), Path(db).parent / "logs")
    await journal.open()
    now = datetime.now(UTC)
    for n in range(3000):  # bounded: the parent kills us long before the end
        cid = f"tt-{n}"
        intent = OrderIntent(f"i-{n}", "BTCUSDT", Side.BUY, OrderType.LIMIT,
                             Decimal("0.001"), Decimal("100.01"), IntentPurpose.ENTRY,
                             now, Decimal("100.02"))
        await journal.record_intent(intent, cid)
        print(cid, flush=True)  # only after the commit returned
        for k in range(5):  # fire-and-forget traffic in flight at the kill
            journal.record_order(Order(cid, f"i-{n}", "BTCUSDT", Side.BUY, OrderType.LIMIT,
                                       Decimal("0.001"), Decimal("100.01"), OrderStatus.NEW,
                                       now, now))
            journal.record_event("test", "tick", {"n": n, "k": k})

asyncio.run(main(sys.argv[1]))
"""


async def test_sigkill_mid_write_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(db), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    committed: list[str] = []
    try:
        while len(committed) < 60:
            raw = await asyncio.wait_for(proc.stdout.readline(), timeout=20)
            assert raw, "writer ended before it was killed"
            committed.append(raw.decode().strip())
    finally:
        proc.kill()  # SIGKILL: no close(), no flush, no atexit
        await proc.wait()
    assert proc.returncode == -9

    journal = Journal(db)
    await journal.open()
    try:
        assert await journal.integrity_check() == []
        known = await journal.known_client_order_ids()
        assert set(committed) <= known
        intents = {cid: intent for intent, cid in await journal.unfinished_intents()}
        assert set(committed) <= set(intents)
        assert intents[committed[-1]].intent_id == "i-" + committed[-1].removeprefix("tt-")
    finally:
        await journal.close()
