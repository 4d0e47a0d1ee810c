"""Clearing the kill switch from a front end (`clear_kill`): refused when nothing is
killed, the kill file (or a kill held only in memory) gone afterwards, announced once
even with the kill watcher running, and `start` works again."""

import asyncio
from pathlib import Path

import pytest

from tests.trader_support import feed, make_settings, opened, running_engine, sim_events
from tui_trader.domain.enums import EngineState
from tui_trader.runtime.trader import Trader
from tui_trader.safety.kill_ack import ACK_FILE_NAME
from tui_trader.safety.kill_switch import KillSwitch
from tui_trader.safety.trading_state import HoldReason


def cleared_events(trader: Trader) -> list[str]:
    return [e.message for e in trader.history.safety if "kill switch cleared" in e.message]


async def test_clear_kill_refuses_when_no_kill_is_active(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        with pytest.raises(ValueError, match="kill switch is not active"):
            await trader.clear_kill(source="tui")
        assert cleared_events(trader) == []


async def test_clear_kill_removes_the_file_and_start_works_again(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 10)
        await trader.start()
        watcher = asyncio.create_task(trader.commands.watch_kill_switch())
        try:
            await trader.kill(source="tui")
            await asyncio.sleep(0.5)  # the watcher reads the file back and acknowledges it
            assert KillSwitch(tmp_path).active and (tmp_path / ACK_FILE_NAME).exists()
            with pytest.raises(ValueError, match="kill switch is active"):
                await trader.start()

            await trader.clear_kill(source="tui")
            assert not KillSwitch(tmp_path).active
            assert not (tmp_path / ACK_FILE_NAME).exists()
            assert trader.kill_state is None
            assert HoldReason.KILL_SWITCH not in {h.reason for h in trader.core.state.holds}
            await asyncio.sleep(0.5)  # the watcher sees the file gone: nothing left to say
            assert cleared_events(trader) == ["kill switch cleared by tui"]
            assert not trader.snapshot().kill_switch_active

            await trader.start()
            assert trader.parts.machine.state is EngineState.RUNNING
            assert trader.snapshot().trading_mode == "ACTIVE"
            with pytest.raises(ValueError, match="not active"):
                await trader.clear_kill()  # once cleared, there is nothing to clear
        finally:
            watcher.cancel()


async def test_clear_kill_clears_a_kill_held_only_in_memory(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 10)
        (tmp_path / "KILL_SWITCH.tmp").mkdir()  # stands in for a full or read-only disk
        await trader.kill()
        assert trader.kill_unpersisted and not KillSwitch(tmp_path).active

        await trader.clear_kill()
        assert trader.kill_state is None and not trader.kill_unpersisted
        assert cleared_events(trader) == ["kill switch cleared by operator"]
        watcher = asyncio.create_task(trader.commands.watch_kill_switch())
        await asyncio.sleep(1.3)  # past the watcher's once-a-second retry of the file
        watcher.cancel()
        assert trader.kill_state is None and not KillSwitch(tmp_path).active
        await trader.start()
        assert trader.parts.machine.state is EngineState.RUNNING


async def test_clear_kill_waits_for_the_flat_verdict(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await trader.kill()
        trader.commands.flat.running = True  # a kill that closes positions, not yet proven
        with pytest.raises(ValueError, match="verdict"):
            await trader.clear_kill()
        assert KillSwitch(tmp_path).active and trader.kill_state is not None
