"""Runs the trader's edge tasks outside Textual (headless mode, tests): each task is
supervised, so a failure becomes a safety event and, where safe, a restart."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from tui_trader.runtime.trader import Trader

log = logging.getLogger("tui_trader.runtime.task_host")

RESTART_DELAY_S = 1.0
# A market feed is not restarted from outside: a simulated or replayed feed would start
# over, and the Binance feed reconnects by itself.
NOT_RESTARTED = frozenset({"feed"})


async def supervise(trader: Trader, name: str, factory: Callable[[], Awaitable[None]]) -> None:
    while True:
        try:
            await factory()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            trader.worker_failed(name, exc)
            if name in NOT_RESTARTED:
                return
            await asyncio.sleep(RESTART_DELAY_S)


class HostedTrader:
    """Opens a trader, runs its edge tasks, and shuts down in the right order: the feed
    first, then a graceful trader close while the execution engine still drains."""

    def __init__(self, trader: Trader) -> None:
        self.trader = trader
        self.tasks: dict[str, asyncio.Task[None]] = {}

    async def __aenter__(self) -> Trader:
        await self.trader.open()
        for name, factory in self.trader.edge_tasks():
            self.tasks[name] = asyncio.create_task(
                supervise(self.trader, name, factory), name=f"tui-trader:{name}"
            )
        return self.trader

    async def __aexit__(self, *_exc: object) -> None:
        for name, task in self.tasks.items():
            if name != "execution":
                task.cancel()
        for name, task in self.tasks.items():
            if name != "execution":
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            await self.trader.close()
        finally:
            execution = self.tasks.get("execution")
            if execution is not None:
                execution.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await execution
