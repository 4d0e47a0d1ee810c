"""Walk-forward validation: choose parameters on one window, judge them on the next.

The file's time range is cut into rolling windows: `train` long, followed by `test`
long, the whole moving on by `test` each step (so the test windows tile the range
after the first train window, never overlapping). In each window the grid search ranks
every combination on the train candles; the best one is then backtested, unchanged, on
the test candles that the search never saw. The out-of-sample figures are the ones to
expect; the gap between in-sample and out-of-sample is what the search overfitted."""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from tui_trader.backtest.column_cache import candle_columns
from tui_trader.backtest.executors import Executor
from tui_trader.backtest.grid import GridRow, backtest, run_grid
from tui_trader.backtest.metrics import Metrics, compute_metrics
from tui_trader.backtest.results import BacktestSpec
from tui_trader.config import Settings
from tui_trader.market.pacing import interval_seconds
from tui_trader.market.replay import read_candles

_SPAN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class WalkForwardError(ValueError):
    """The windows do not fit the data, or a span cannot be read."""


@dataclass(frozen=True, slots=True)
class Window:
    train_start: datetime
    test_start: datetime  # = the train window's end
    test_end: datetime


@dataclass(frozen=True, slots=True)
class WindowResult:
    window: Window
    params: dict[str, Any]  # the grid keys of the combination the train window chose
    in_sample: Metrics
    out_of_sample: Metrics


@dataclass(frozen=True, slots=True)
class WalkForwardResult:
    rank_by: str
    windows: list[WindowResult]

    @property
    def out_of_sample_return_pct(self) -> float:
        """The test windows' returns compounded, as if traded one after the other."""
        growth = 1.0
        for result in self.windows:
            growth *= 1 + result.out_of_sample.total_return_pct / 100
        return (growth - 1) * 100

    @property
    def in_sample_return_pct(self) -> float:
        """The mean of the chosen combinations' train-window returns."""
        returns = [result.in_sample.total_return_pct for result in self.windows]
        return sum(returns) / len(returns) if returns else 0.0


def parse_span(text: str) -> timedelta:
    """ "30d", "12h", "90m", "2w" → a timedelta."""
    found = _SPAN.match(text)
    if not found or int(found[1]) == 0:
        raise WalkForwardError(f"{text!r} is not a span: a positive number of m, h, d or w")
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


def parse_windows(text: str) -> tuple[timedelta, timedelta]:
    """ "TRAIN:TEST", e.g. "30d:7d"."""
    train, sep, test = text.partition(":")
    if not sep:
        raise WalkForwardError(f"--walk-forward {text!r}: expected TRAIN:TEST, e.g. 30d:7d")
    return parse_span(train), parse_span(test)


def plan(first: datetime, end: datetime, train: timedelta, test: timedelta) -> list[Window]:
    """Every whole train+test window from `first` to `end` (excluded)."""
    windows = []
    start = first
    while start + train + test <= end:
        windows.append(Window(start, start + train, start + train + test))
        start += test
    if not windows:
        raise WalkForwardError(
            f"the data spans {end - first}, shorter than one train+test window ({train} + {test})"
        )
    return windows


def data_span(settings: Settings, spec: BacktestSpec) -> tuple[datetime, datetime]:
    """The first candle's open time and the end (the last candle's close) of the range."""
    step_us = interval_seconds(settings.candle_interval) * 1_000_000
    columns = candle_columns(spec.data, spec.symbol, settings.candle_interval, step_us, spec.cache)
    opens = (
        [columns.open_time(i) for i in range(len(columns))]
        if columns is not None
        else [c.open_time for c in read_candles(spec.data, spec.symbol, settings.candle_interval)]
    )
    inside = [t for t in opens if (spec.start is None or t >= spec.start)
              and (spec.end is None or t < spec.end)]  # fmt: skip
    if not inside:
        raise WalkForwardError(f"{spec.data}: no candles in the chosen range")
    return inside[0], inside[-1] + timedelta(microseconds=step_us)


def run_walk_forward(
    settings: Settings,
    spec: BacktestSpec,
    base: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]],
    windows: Sequence[Window],
    executor: Executor,
    rank_by: str = "sharpe",
    progress: Callable[[int, int], None] | None = None,
    fast: bool = False,
) -> WalkForwardResult:
    """`fast`: the grids and the test runs on the fast path (inside its subset)."""
    results = []
    for done, window in enumerate(windows):
        train = replace(spec, start=window.train_start, end=window.test_start)
        ranked = run_grid(settings, train, base, grid, rank_by, executor=executor, fast=fast)
        best: GridRow = ranked.rows[0]
        chosen = settings.model_copy(update={"strategy_params": {**base, **best.params}})
        test = replace(spec, start=window.test_start, end=window.test_end)
        outcome = compute_metrics(backtest(chosen, test, fast))
        results.append(WindowResult(window, best.params, best.metrics, outcome))
        if progress is not None:
            progress(done + 1, len(windows))
    return WalkForwardResult(rank_by, results)
