"""The same candles through the backtester and through a real Trader on a replay feed
(journal in a temporary folder, engine draining after every candle as it does at real
speed) give the very same fills and trades."""

import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.trader_support import entry_groups, running_engine
from tui_trader.backtest.results import BacktestSpec
from tui_trader.backtest.runner import run_backtest
from tui_trader.config import Settings, load_settings
from tui_trader.domain.orders import Fill
from tui_trader.journal.trades import pair_round_trips
from tui_trader.runtime.build_trader import build_trader

START_MS = int(datetime(2024, 3, 1, 12, tzinfo=UTC).timestamp() * 1000)


def write_walk(path: Path, count: int, seed: int) -> Path:
    """A volatile random walk over a UTC midnight: enough for crosses, refused entries
    (circuit breaker), limit orders that expire, and a new trading day."""
    rng = random.Random(seed)
    price, lines = 100.0, []
    for index in range(count):
        close = max(1.0, price * (1 + rng.gauss(0, 0.004)))
        high = max(price, close) * (1 + abs(rng.gauss(0, 0.002)))
        low = min(price, close) * (1 - abs(rng.gauss(0, 0.002)))
        start = START_MS + index * 60_000
        lines.append(f"{start},{price:.2f},{high:.2f},{low:.2f},{close:.2f},"
                     f"{rng.uniform(5, 50):.3f},{start + 59_999},0,0,0,0,0\n")  # fmt: skip
        price = float(f"{close:.2f}")
    path.write_text("".join(lines))
    return path


def parity_settings(data_dir: Path, market_orders: bool) -> Settings:
    return load_settings(
        _env_file=None,
        TUI_TRADER_DATA_DIR=str(data_dir),
        strategy="ema_cross",
        strategy_params={"fast_period": 3, "slow_period": 8},
        symbols="BTCUSDT",
        allow_market_orders=market_orders,
        position_size_pct="20",
        max_position_pct="25",
    )


async def live_fills(settings: Settings, path: Path) -> list[Fill]:
    trader = build_trader(settings, replay=path, symbol="BTCUSDT", **entry_groups())
    async with running_engine(trader):
        await trader.start()
        async for event in trader.parts.feed.events():
            trader.on_market_event(event)
            if not trader.engine.queue.empty():
                await trader.engine.drain()
        await trader.parts.journal.flush()
        return await trader.parts.journal.fills()


@pytest.mark.parametrize("market_orders", [True, False], ids=["market", "limit"])
async def test_backtest_and_replayed_trader_trade_alike(
    tmp_path: Path, market_orders: bool
) -> None:
    path = write_walk(tmp_path / "walk.csv", 1500, seed=3)
    settings = parity_settings(tmp_path / "data", market_orders)
    backtest = run_backtest(settings, BacktestSpec(path, "BTCUSDT"))
    live = await live_fills(settings, path)

    assert len(backtest.fills) > 100, "the walk should make the strategy trade a lot"
    assert backtest.counts.refusals, "some entries should be refused by risk checks"
    if not market_orders:
        assert backtest.counts.cancels > 0, "some limit entries should expire"
    assert live == backtest.fills  # ids, sides, quantities, prices, fees, times
    assert pair_round_trips(live) == backtest.trades
    assert sum((f.fee for f in live), Decimal(0)) == backtest.fees_paid
