"""The kill -9 scenario each venue's live tests run (Upbit, Alpaca): a real live trader
process (tests/e2e/<venue>_child.py) places one resting entry, prints its client order
id and is killed with SIGKILL; after the order fills on the venue's double, a restarted
trader must leave it unfinished until the live broker can be asked, then book its fill
exactly once."""

import asyncio
import os
import signal
import sys
from decimal import Decimal
from pathlib import Path

from tui_trader.domain.enums import OrderStatus
from tui_trader.runtime.live_access import LIVE_PHRASE
from tui_trader.runtime.trader import Trader

ROOT = Path(__file__).resolve().parents[1]


async def placed_then_killed(child_module: str, url: str, data_dir: Path) -> str:
    """Run `python -m child_module url data_dir` until it prints the client order id of
    the entry it placed, then kill -9 it; returns that id."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", child_module, url, str(data_dir),
        stdout=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
    )  # fmt: skip
    assert child.stdout is not None
    try:
        async with asyncio.timeout(30):
            cid = (await child.stdout.readline()).decode().strip()
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    assert cid, "the child printed no client order id"
    return cid


async def live_books_it_once(again: Trader, cid: str, quantity: Decimal) -> None:
    """The restarted trader: `cid` unfinished until live (never decided by the paper
    broker), then journaled FILLED with one fill of `quantity`."""
    unfinished = [coid for _intent, coid in await again.parts.journal.unfinished_intents()]
    assert unfinished == [cid]  # not decided by the paper broker: left for the live one
    await again.enable_live(LIVE_PHRASE)
    await again.parts.journal.flush()
    [journaled] = [o for o in await again.parts.journal.orders() if o.client_order_id == cid]
    assert journaled.status is OrderStatus.FILLED
    fills = await again.parts.journal.fills()
    assert [(f.client_order_id, f.quantity) for f in fills] == [(cid, quantity)]
