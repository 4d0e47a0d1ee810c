"""Helpers for tests that drive a real Trader (paper broker, simulated market, journal in
a temporary folder). Nothing here replaces a part of the trader."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tui_trader.config import Settings, load_settings
from tui_trader.domain.market import Candle, Tick
from tui_trader.llm.settings import load_llm_settings
from tui_trader.market.simulated import SimulatedMarket
from tui_trader.ops.settings import load_ops_settings
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.trader import Trader
from tui_trader.safety.trading_state import HoldReason

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def entry_groups() -> dict[str, Any]:
    """The settings groups the command line reads once at start (advisor, operations),
    read here from the test's environment as `tui-trader run` would."""
    return {"llm": load_llm_settings(), "ops": load_ops_settings()}


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    return load_settings(TUI_TRADER_DATA_DIR=str(data_dir), **overrides)


def sim_events(trader: Trader) -> Iterator[Tick | Candle]:
    feed = getattr(trader.parts.feed, "inner", trader.parts.feed)  # unwrap the metrics wrapper
    assert isinstance(feed, SimulatedMarket)
    return feed.generate()


@contextlib.asynccontextmanager
async def running_engine(trader: Trader) -> AsyncIterator[Trader]:
    """An opened trader whose execution engine consumes its queue; closed on exit."""
    await trader.open()
    # The execution engine, plus the LLM advisor's worker when it is enabled; the feed,
    # kill watcher and housekeeping are left to the test, which drives time itself.
    wanted = {"execution", "llm"}
    tasks = [asyncio.ensure_future(run()) for name, run in trader.edge_tasks() if name in wanted]
    try:
        yield trader
    finally:
        await trader.close()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def feed(trader: Trader, events: Iterator[Tick | Candle], count: int) -> None:
    """Push `count` market events through the trader, letting the engine act on each."""
    for _ in range(count):
        trader.on_market_event(next(events))
        if not trader.engine.queue.empty():
            await trader.engine.drain()


def opened(settings: Settings) -> Trader:
    return build_trader(settings, start=START, **entry_groups())


__all__ = ["START", "Decimal", "feed", "make_settings", "opened", "running_engine", "sim_events"]


def disagrees(trader: Trader) -> str:
    """The blocking reconciliation difference holding entries ("" if none)."""
    hold = trader.core.state.held(HoldReason.EXCHANGE_DISAGREES)
    return hold.detail if hold is not None else ""


def only_stopped(trader: Trader) -> bool:
    """Nothing holds the trading state but the engine not running: no reconciliation,
    no disagreement with the exchange, no switch in progress."""
    return {hold.reason for hold in trader.core.state.holds} <= {HoldReason.STOPPED}
