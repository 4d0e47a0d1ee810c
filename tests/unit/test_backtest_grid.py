"""Grid search: parsing, combinations, ranking, and a real run across processes."""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.conftest import write_candles
from tui_trader.backtest.grid import (
    GridRow,
    combinations,
    parse_grid,
    rank,
    run_grid,
)
from tui_trader.backtest.metrics import compute_metrics
from tui_trader.backtest.results import BacktestSpec
from tui_trader.backtest.runner import run_backtest
from tui_trader.config import Settings, load_settings
from tui_trader.strategies.base import StrategyParamError

START_MS = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp() * 1000)


def write_walk(path: Path, count: int) -> Path:
    return write_candles(path, count, seed=11, start_ms=START_MS)


def settings(tmp_path: Path) -> Settings:
    return load_settings(
        _env_file=None,
        TUI_TRADER_DATA_DIR=str(tmp_path / "data"),
        strategy="ema_cross",
        symbols="BTCUSDT",
        allow_market_orders=True,
    )


def test_parse_grid_reads_values_like_param_overrides() -> None:
    grid = parse_grid(["fast_period=3,5", "slow_period=21"])
    assert grid == {"fast_period": [3, 5], "slow_period": [21]}
    with pytest.raises(StrategyParamError, match="expected key=v1,v2"):
        parse_grid(["fast_period="])
    with pytest.raises(StrategyParamError, match="given twice"):
        parse_grid(["fast_period=3", "fast_period=5"])


def test_combinations_skip_pairs_refused_together() -> None:
    grid = {"fast_period": [5, 30], "slow_period": [21, 50]}
    valid, refused = combinations("ema_cross", {}, grid)
    assert valid == [
        {"fast_period": 5, "slow_period": 21},
        {"fast_period": 5, "slow_period": 50},
        {"fast_period": 30, "slow_period": 50},
    ]
    ((combo, reason),) = refused
    assert combo == {"fast_period": 30, "slow_period": 21}
    assert "fast_period=30: must be < slow_period=21" in reason


def test_a_value_refused_everywhere_is_an_error_naming_it() -> None:
    with pytest.raises(StrategyParamError, match=r"fast_period=0.*must be >= 2"):
        combinations("ema_cross", {}, {"fast_period": [0, 5]})
    with pytest.raises(StrategyParamError, match="unknown parameter"):
        combinations("ema_cross", {}, {"speed": [1]})


def test_ranking_orders_best_first_and_unknown_last(tmp_path: Path) -> None:
    path = write_walk(tmp_path / "w.csv", 600)
    base = compute_metrics(run_backtest(settings(tmp_path), BacktestSpec(path, "BTCUSDT")))
    deep = replace(base.drawdown, pct=9.0)
    rows = [
        GridRow({"n": 1}, replace(base, sharpe=None)),
        GridRow({"n": 2}, replace(base, sharpe=-1.0, drawdown=deep)),
        GridRow({"n": 3}, replace(base, sharpe=2.5)),
        GridRow({"n": 4}, replace(base, sharpe=2.5)),
    ]
    assert [row.params["n"] for row in rank(rows, "sharpe")] == [3, 4, 2, 1]
    # Lower is better for drawdown; equal values keep the grid's order.
    assert [row.params["n"] for row in rank(rows, "max_drawdown")] == [1, 3, 4, 2]


def test_run_grid_across_processes_matches_single_runs(tmp_path: Path) -> None:
    path = write_walk(tmp_path / "w.csv", 2000)
    spec = BacktestSpec(path, "BTCUSDT")
    grid = {"fast_period": [3, 9], "slow_period": [8, 21]}
    seen: list[tuple[int, int]] = []
    result = run_grid(settings(tmp_path), spec, {}, grid, "total_return", workers=2,
                      progress=lambda done, total: seen.append((done, total)))  # fmt: skip

    assert [combo for combo, _ in result.skipped] == [{"fast_period": 9, "slow_period": 8}]
    assert len(result.rows) == 3
    assert seen[-1] == (3, 3)
    returns = [row.metrics.total_return_pct for row in result.rows]
    assert returns == sorted(returns, reverse=True)
    for row in result.rows:  # each row is exactly what a single backtest reports
        alone = settings(tmp_path).model_copy(update={"strategy_params": row.params})
        assert row.metrics == compute_metrics(run_backtest(alone, spec))
    assert "Overfitting warning: 3 parameter sets" in result.warning
    assert "2,000 candles" in result.warning


def test_unknown_rank_metric_is_refused(tmp_path: Path) -> None:
    spec = BacktestSpec(tmp_path / "none.csv", "BTCUSDT")
    with pytest.raises(ValueError, match="rank-by must be one of"):
        run_grid(settings(tmp_path), spec, {}, {"fast_period": [3]}, "luck")
