"""Issue 15 part 3: the Optuna search: seeded, resumable, honest about refused sets, and
every figure it ranks by is the one a plain backtest of that set gives."""

from pathlib import Path

import pytest

from tests.unit.test_backtest_runner import settings, walk
from tui_trader.backtest.executors import LocalProcesses
from tui_trader.backtest.grid import evaluate
from tui_trader.backtest.optimize import (
    OptimizeError,
    parse_range,
    run_optimize,
    search_space,
)
from tui_trader.backtest.results import BacktestSpec

SPACE_ARGS = (["fast_period=2..8", "slow_period=5..30"],)


def spec_in(tmp_path: Path) -> BacktestSpec:
    return BacktestSpec(walk(tmp_path / "w.csv", 1500), "BTCUSDT")


def test_ranges_and_spaces_are_read_strictly() -> None:
    assert parse_range("fast_period=5..30") == ("fast_period", ("int", (5, 30)))
    assert parse_range("max_atr_pct=1.5..4") == ("max_atr_pct", ("float", (1.5, 4.0)))
    for bad in ("fast_period=30..5", "fast_period=5", "fast=a..b", "=1..2", "x=1..1"):
        with pytest.raises(OptimizeError):
            parse_range(bad)
    assert search_space({"fast_period": [3, 5]}, ["slow_period=10..20"]) == {
        "fast_period": ("choice", [3, 5]),
        "slow_period": ("int", (10, 20)),
    }
    with pytest.raises(OptimizeError, match="searched twice"):
        search_space({"fast_period": [3]}, ["fast_period=2..9"])
    with pytest.raises(OptimizeError, match="needs a search space"):
        search_space({}, [])


def test_a_seeded_search_repeats_and_its_figures_are_plain_backtests(tmp_path: Path) -> None:
    spec = spec_in(tmp_path)
    space = search_space({}, *SPACE_ARGS)
    found = []
    for run in ("a", "b"):
        chosen = settings(tmp_path / run, strategy_params={})
        with LocalProcesses(2) as executor:
            found.append(run_optimize(chosen, spec, space, executor, trials=8, seed=4,
                                      rank_by="total_return"))  # fmt: skip
    first, second = found
    assert first.rows == second.rows and first.study == second.study
    assert first.trials == 8 and first.new_trials == 8
    assert len(first.rows) + first.failed == 8
    values = [row.value for row in first.rows]
    assert values == sorted(values, reverse=True)  # total_return: higher is better
    best = first.rows[0]
    metrics = evaluate(settings(tmp_path / "a", strategy_params={}), spec, best.params)
    assert (best.value, best.return_pct, best.trades) == (
        metrics.total_return_pct, metrics.total_return_pct, metrics.trades.count
    )  # fmt: skip


def test_the_same_command_resumes_its_study_and_refusals_are_failed_trials(
    tmp_path: Path,
) -> None:
    spec = spec_in(tmp_path)
    # fast_period 9..12 against slow_period 5..10: most sets are refused (fast >= slow)
    space = search_space({}, ["fast_period=9..12", "slow_period=5..10"])
    chosen = settings(tmp_path, strategy_params={})
    with LocalProcesses(2) as executor:
        once = run_optimize(chosen, spec, space, executor, trials=6, rank_by="max_drawdown")
        twice = run_optimize(chosen, spec, space, executor, trials=6, rank_by="max_drawdown")
    assert once.study == twice.study and (once.trials, twice.trials) == (6, 12)
    assert twice.failed >= once.failed > 0
    assert all(row.params["fast_period"] < row.params["slow_period"] for row in twice.rows)
    drawdowns = [row.value for row in twice.rows]
    assert drawdowns == sorted(drawdowns)  # max_drawdown: lower is better
    assert (tmp_path / "data" / "optuna.sqlite3").is_file()
