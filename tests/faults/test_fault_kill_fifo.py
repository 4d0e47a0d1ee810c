"""A FIFO (or a directory, a socket…) at the kill-switch path (issue #11 item 9): reading
it must never block the event loop, and it counts as killed (fail closed)."""

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from tests.faults.support import clean_env, run_cli
from tests.trader_support import feed, make_settings, opened, running_engine, sim_events
from tui_trader.app.startup import EXIT_KILLED
from tui_trader.safety.kill_switch import KILL_FILE_NAME


@pytest.mark.fault("FIFO at the kill-switch path", "start refused as killed, exit 3, no hang")
def test_a_fifo_kill_file_refuses_the_start_without_hanging(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    os.mkfifo(data / KILL_FILE_NAME)  # nobody ever writes to it
    outcome = run_cli(
        "run", "--headless", "--demo", "--duration", "3", env=clean_env(data), deadline=20
    )
    assert outcome.code == EXIT_KILLED, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert "kill switch" in outcome.stderr


@pytest.mark.fault("FIFO at the kill-switch path", "a running trader halts, the loop keeps going")
async def test_a_fifo_appearing_while_trading_halts_without_freezing(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 10)
        await trader.start()
        watcher = asyncio.create_task(trader.commands.watch_kill_switch())
        fifo = tmp_path / KILL_FILE_NAME
        os.mkfifo(fifo)
        # Were the loop frozen in open(), this thread frees it after 2 s (O_RDWR on a FIFO
        # never blocks), so the test fails on the beat count instead of hanging.
        rescue = threading.Timer(2.0, lambda: os.close(os.open(fifo, os.O_RDWR)))
        rescue.start()
        beats = 0
        started = time.monotonic()
        while time.monotonic() - started < 0.6:  # the loop must keep beating meanwhile
            await asyncio.sleep(0.01)
            beats += 1
        watcher.cancel()
        rescue.cancel()
        assert beats > 20
        kill = trader.kill_state
        assert kill is not None and "not a regular file (a FIFO)" in kill.reason
        assert not trader.core.state.entries_allowed
