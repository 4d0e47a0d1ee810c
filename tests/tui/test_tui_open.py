"""The app's open path: a trader that cannot open makes the app leave with the reason
(the launcher prints it as one line), and nothing starts before the trader is open."""

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from tui_support import Cockpit, engine_state, market_ready, wait_for

from tui_trader.config import ConfigError
from tui_trader.domain.enums import EngineState
from tui_trader.journal.store import Journal
from tui_trader.runtime.build_trader import journal_path


async def test_a_trader_that_cannot_open_ends_the_app_with_the_reason(
    cockpit: Callable[..., Cockpit], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_ENABLED", "true")  # and no webhook anywhere
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: c.app.open_error is not None, "the open to fail")
        await pilot.pause()
    assert isinstance(c.app.open_error, ConfigError)
    assert c.app.return_code == 1 and c.app.trader_state == "new"


async def test_start_waits_for_the_trader_to_be_open(
    cockpit: Callable[..., Cockpit], tmp_path: Path
) -> None:
    c = cockpit()
    earlier = Journal(journal_path(c.settings))  # a journal exists, as after an earlier run
    await earlier.open()
    await earlier.close()
    holder = sqlite3.connect(journal_path(c.settings), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing: open() waits on it
    try:
        async with c.app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            assert c.app.trader_state == "new"
            await pilot.press("s")
            await pilot.pause(0.2)
            assert engine_state(c) is EngineState.IDLE
            holder.rollback()
            await market_ready(pilot, c, settled=False)
            await pilot.press("s")
            await wait_for(pilot, lambda: engine_state(c) is EngineState.RUNNING, "RUNNING")
    finally:
        holder.close()
