"""The backtester honours the protections (the same core as live): with a cooldown no
entry follows a losing exit too soon, and the quiet-candle path pauses exactly where the
every-candle path does (cooldown, drawdown, low profit; a candle-only backtest has no
stop-outs for the stop-loss guard: test_protection_watch.py covers it)."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_backtest_quiet_parity import assert_same, both
from tests.unit.test_backtest_runner import settings, walk
from tui_trader.backtest.results import BacktestSpec
from tui_trader.backtest.runner import run_backtest


def run(tmp_path: Path, **overrides: Any):  # type: ignore[no-untyped-def]
    path = walk(tmp_path / "walk.csv", 3000, seed=11)
    return run_backtest(settings(tmp_path, **overrides), BacktestSpec(path, "BTCUSDT"))


def test_a_cooldown_keeps_entries_away_after_losing_exits(tmp_path: Path) -> None:
    free = run(tmp_path)
    cooled = run(tmp_path, protect_cooldown_min=45)
    assert any(t.pnl < 0 for t in free.trades)
    assert len(cooled.trades) < len(free.trades)
    assert cooled.counts.safety["protection"] > 0
    for before, after in zip(cooled.trades, cooled.trades[1:], strict=False):
        if before.pnl < 0:
            assert after.entry_time >= before.exit_time + timedelta(minutes=45) - timedelta(
                minutes=1
            )


@pytest.mark.parametrize(
    "overrides",
    [
        {"protect_cooldown_min": 30},
        {"protect_max_drawdown_pct": "0.5", "protect_drawdown_window_min": 600},
        {"protect_low_profit_trades": 2, "protect_low_profit_pct": "0.2"},
    ],
)
def test_the_quiet_path_pauses_where_the_every_candle_path_does(
    tmp_path: Path, overrides: dict[str, Any]
) -> None:
    path = walk(tmp_path / "walk.csv", 3000, seed=11)
    fast, exact = both(settings(tmp_path, **overrides), BacktestSpec(path, "BTCUSDT"))
    assert_same(fast, exact)
    assert fast.counts.safety["protection"] > 0, fast.counts.safety
