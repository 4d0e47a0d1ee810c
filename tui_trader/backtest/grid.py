"""Grid search: every combination of some strategy parameters, backtested across CPU
cores and ranked by one metric.

Each combination is a full, independent backtest (its own process, its own core objects),
so the results are the ones `tui-trader backtest --param ...` gives for that combination.
Combinations that the strategy refuses only together (fast_period >= slow_period) are
skipped and listed; a value refused in every combination is a usage error.

Picking the best of many parameter sets on one data set overfits: the winner's in-sample
figure is biased upwards. `overfitting_warning` says so with every ranking."""

import itertools
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from typing import Any

from tui_trader.backtest.column_cache import candle_columns
from tui_trader.backtest.executors import Executor, open_executor
from tui_trader.backtest.metrics import Metrics, compute_metrics
from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.backtest.runner import run_backtest
from tui_trader.config import Settings
from tui_trader.market.pacing import interval_seconds
from tui_trader.strategies.base import StrategyParamError
from tui_trader.strategies.params import parse_override
from tui_trader.strategies.registry import strategy_class

MetricGetter = Callable[[Metrics], float | None]
MIN_TRADES = 30  # fewer trades than this cannot tell a good rule from luck

# name → (getter, higher is better)
RANKINGS: dict[str, tuple[MetricGetter, bool]] = {
    "total_return": (lambda m: m.total_return_pct, True),
    "annualized_return": (lambda m: m.annualized_return_pct, True),
    "sharpe": (lambda m: m.sharpe, True),
    "sortino": (lambda m: m.sortino, True),
    "calmar": (lambda m: m.calmar, True),
    "profit_factor": (lambda m: m.trades.profit_factor, True),
    "win_rate": (lambda m: m.trades.win_rate_pct, True),
    "max_drawdown": (lambda m: m.drawdown.pct, False),
}


@dataclass(frozen=True, slots=True)
class GridRow:
    params: dict[str, Any]  # the grid's own keys and values
    metrics: Metrics


@dataclass(frozen=True, slots=True)
class GridResult:
    rank_by: str
    rows: list[GridRow]  # best first
    skipped: list[tuple[dict[str, Any], str]]  # combination, why the strategy refused it
    warning: str


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """`["fast_period=5,9", "slow_period=21"]` → {"fast_period": [5, 9], ...}; each value
    is read like a --param value. A key given twice is an error."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, _, raw = item.partition("=")
        if key.strip() in grid:
            raise StrategyParamError(f"--grid {item!r}: {key.strip()} is given twice")
        values = [parse_override(f"{key}={part}")[1] for part in raw.split(",") if part.strip()]
        if not key.strip() or not values:
            raise StrategyParamError(
                f"--grid {item!r}: expected key=v1,v2,..., e.g. fast_period=5,9"
            )
        grid[key.strip()] = values
    return grid


def combinations(
    strategy: str, base: Mapping[str, Any], grid: Mapping[str, Sequence[Any]]
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], str]]]:
    """The valid combinations (grid keys only) and the refused ones with the reason.
    Raises StrategyParamError when a grid value is refused in every combination."""
    cls = strategy_class(strategy)
    keys = list(grid)
    valid: list[dict[str, Any]] = []
    refused: list[tuple[dict[str, Any], str]] = []
    for values in itertools.product(*(grid[key] for key in keys)):
        combo = dict(zip(keys, values, strict=True))
        try:
            cls.parse_params({**base, **combo})
        except StrategyParamError as exc:
            refused.append((combo, str(exc)))
        else:
            valid.append(combo)
    for key in keys:
        for value in grid[key]:
            if not any(combo[key] == value for combo in valid):
                reason = next(why for combo, why in refused if combo[key] == value)
                raise StrategyParamError(f"--grid {key}={value!r} is refused: {reason}")
    return valid, refused


def evaluate(
    settings: Settings, spec: BacktestSpec, params: dict[str, Any], fast: bool = False
) -> Metrics:
    """One combination, in a worker process; `fast`: on the fast path (its caller has
    checked that the run is inside its subset; a run outside it runs exactly)."""
    tuned = settings.model_copy(update={"strategy_params": params})
    return compute_metrics(backtest(tuned, spec, fast))


def backtest(settings: Settings, spec: BacktestSpec, fast: bool = False) -> BacktestResult:
    """One run, on the fast path when asked and inside its subset, else the exact one
    (the same answer either way: the fast path's parity tests prove it)."""
    if fast:
        from tui_trader.backtest.fast import run_fast

        outcome = run_fast(settings, spec)
        if outcome.result is not None:
            return outcome.result
    return run_backtest(settings, spec)


def rank(rows: list[GridRow], rank_by: str) -> list[GridRow]:
    """Best first; combinations without a value for the metric go last; ties keep the
    grid's order, so the ranking is reproducible."""
    getter, higher = RANKINGS[rank_by]

    def key(item: tuple[int, GridRow]) -> tuple[bool, float, int]:
        value = getter(item[1].metrics)
        if value is None:
            return (True, 0.0, item[0])
        return (False, -value if higher else value, item[0])

    return [row for _, row in sorted(enumerate(rows), key=key)]


def overfitting_warning(result_rows: Sequence[GridRow], candles: int) -> str:
    text = (
        f"Overfitting warning: {len(result_rows)} parameter sets were tried on the same "
        f"{candles:,} candles, so the best in-sample result overstates what to expect. "
        "Check the chosen set on data the search did not see (a later period) first."
    )
    if result_rows and result_rows[0].metrics.trades.count < MIN_TRADES:
        trades = result_rows[0].metrics.trades.count
        text += f" The best set made only {trades} trades: too few to tell skill from luck."
    return text


def warm_cache(settings: Settings, spec: BacktestSpec) -> None:
    """Write the candle column cache once, before the workers start: each then reads it
    instead of every one parsing the CSV (and racing to write the same file)."""
    if spec.cache is None:
        return
    try:
        step_us = interval_seconds(settings.candle_interval) * 1_000_000
    except ValueError:
        return  # every worker reports it
    candle_columns(spec.data, spec.symbol, settings.candle_interval, step_us, spec.cache)


def run_grid(
    settings: Settings,
    spec: BacktestSpec,
    base: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]],
    rank_by: str = "sharpe",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    fast: bool = False,
) -> GridResult:
    """Backtest every valid combination of `grid` over `base` parameters on `executor`
    (an entered one; default: `workers` local processes, one per CPU) and rank them by
    `rank_by` (a RANKINGS key); `fast`: each on the fast path (backtest/fast/, the `fast`
    extra)."""
    if rank_by not in RANKINGS:
        raise ValueError(f"rank-by must be one of {', '.join(RANKINGS)}, got {rank_by!r}")
    valid, refused = combinations(settings.strategy, base, grid)
    warm_cache(settings, spec)
    task = partial(evaluate, settings, spec, fast=fast)
    params = [{**base, **combo} for combo in valid]
    metrics: dict[int, Metrics] = {}
    with ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(open_executor(None, workers, len(valid)))
        for index, result in executor.run(task, params):
            metrics[index] = result
            if progress is not None:
                progress(len(metrics), len(valid))
    rows = rank([GridRow(combo, metrics[i]) for i, combo in enumerate(valid)], rank_by)
    candles = rows[0].metrics.candles if rows else 0
    return GridResult(rank_by, rows, refused, overfitting_warning(rows, candles))
