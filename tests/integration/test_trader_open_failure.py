"""A trader whose open() fails part-way closes what it had opened, so nothing keeps the
process alive (invariant 9): the journal's SQLite worker threads are not daemon threads,
and a failed start once hung on them forever after printing its message."""

import asyncio
import threading
from pathlib import Path

import pytest

from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.trader_support import make_settings, opened
from tui_trader.config import ConfigError
from tui_trader.journal.reader import latest_run
from tui_trader.journal.schema import open_readonly
from tui_trader.runtime.build_trader import journal_path


def lingering_threads() -> list[threading.Thread]:
    """Non-daemon threads nobody will stop. The loop's executor threads ("asyncio_N")
    are joined when the loop shuts down, so they do not count."""
    return [
        t
        for t in threading.enumerate()
        if t is not threading.main_thread() and not t.daemon and not t.name.startswith("asyncio_")
    ]


async def threads_end(before: list[threading.Thread], within: float = 2.0) -> bool:
    """aiosqlite's close() returns before its thread has quite finished: give it a moment."""
    deadline = asyncio.get_running_loop().time() + within
    while lingering_threads() != before:
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_open_failing_after_the_journal_opened_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slack on without its webhook: open() fails after the journal is open.
    monkeypatch.setenv("SLACK_ENABLED", "true")
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    before = lingering_threads()
    trader = opened(make_settings(tmp_path))
    # An empty keyring of our own: whatever backend an earlier test left installed
    # must not decide the message.
    with keyring_installed(MemoryKeyring()), pytest.raises(ConfigError, match="SLACK_ENABLED"):
        await trader.open()
    assert await threads_end(before), lingering_threads()
    assert journal_path(trader.settings).exists()  # it had been opened, and is intact
    async with open_readonly(journal_path(trader.settings)) as conn:
        assert await latest_run(conn) is None  # no run was started
