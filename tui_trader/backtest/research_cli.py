"""The research options of `tui-trader backtest`: walk-forward, Monte Carlo, and where a
sweep runs (`--cluster`). Each long step has a progress bar."""

import argparse
import statistics
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

from tui_trader.backtest.choice import fast_grid
from tui_trader.backtest.confirm import DEFAULT_TOP, confirm_top
from tui_trader.backtest.executors import Executor, open_executor
from tui_trader.backtest.grid import RANKINGS, combinations, parse_grid
from tui_trader.backtest.metrics import Metrics
from tui_trader.backtest.monte_carlo import MonteCarloResult, PathFigures
from tui_trader.backtest.progress import Advance, bar
from tui_trader.backtest.results import BacktestSpec
from tui_trader.config import Settings

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

if TYPE_CHECKING:  # loaded only when the option is used
    from tui_trader.backtest.optimize import OptimizeResult
    from tui_trader.backtest.walk_forward import WalkForwardResult


def add_research_options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--walk-forward", metavar="TRAIN:TEST",
                    help="with --grid: choose on each TRAIN window, judge on the next TEST "
                    "window, rolling (e.g. 30d:7d; m, h, d, w)")  # fmt: skip
    ap.add_argument(
        "--monte-carlo",
        type=int,
        metavar="RUNS",
        help="trade-order shuffles and candle-noise backtests around the run",
    )
    ap.add_argument("--perturb-bps", type=float, default=5.0,
                    help="Monte Carlo candle noise, basis points (default: 5)")  # fmt: skip
    ap.add_argument("--seed", type=int, default=1,
                    help="Monte Carlo and --optimize seed (default: 1)")  # fmt: skip
    ap.add_argument("--optimize", type=int, metavar="TRIALS",
                    help="Optuna search over --grid choices and --search ranges, resumable "
                    "(the study is kept in <data dir>/optuna.sqlite3)")  # fmt: skip
    ap.add_argument(
        "--search",
        action="append",
        default=[],
        metavar="KEY=LOW..HIGH",
        help="a range for --optimize, e.g. fast_period=5..30 (repeatable)",
    )
    ap.add_argument("--study", metavar="NAME",
                    help="--optimize study name (default: from the strategy, metric, "
                    "data and search space, so the same command resumes it)")  # fmt: skip
    ap.add_argument("--confirm", type=int, default=DEFAULT_TOP, metavar="K",
                    help="with --fast and --grid or --optimize: the top K again on the "
                    f"exact path, any change said (default: {DEFAULT_TOP}; 0: none)")  # fmt: skip
    ap.add_argument("--cluster", metavar="tcp://HOST:8786",
                    help="run sweeps on this Dask scheduler (the cluster extra) instead of "
                    "local processes")  # fmt: skip


def check_research_options(args: argparse.Namespace) -> str | None:
    """A usage problem with the research options, or None."""
    chosen = [option for option, given in (("--optimize", args.optimize is not None),
              ("--walk-forward", bool(args.walk_forward)),
              ("--monte-carlo", args.monte_carlo is not None)) if given]  # fmt: skip
    if len(chosen) > 1:
        return f"{' and '.join(chosen)}: one research option at a time"
    if args.optimize is not None and not 1 <= args.optimize <= 100_000:
        return "--optimize TRIALS must be between 1 and 100000"
    if args.search and args.optimize is None:
        return "--search is a range for --optimize"
    if args.walk_forward and not args.grid:
        return "--walk-forward needs --grid: the values each train window chooses from"
    if args.monte_carlo is not None and args.grid:
        return "--monte-carlo runs around one parameter set: drop --grid"
    if args.monte_carlo is not None and not 1 <= args.monte_carlo <= 100_000:
        return "--monte-carlo RUNS must be between 1 and 100000"
    if chosen and args.output == "csv":
        return "--output csv is for trades and grids: use table or json here"
    if not 0 <= args.confirm <= 1000:
        return "--confirm K must be between 0 and 1000"
    if not 0 < args.perturb_bps <= 1000:
        return "--perturb-bps must be in (0, 1000]"
    return None


def sweep_executor(args: argparse.Namespace, tasks: int) -> Executor:
    return open_executor(args.cluster, args.workers, tasks)


def walk_forward(
    args: argparse.Namespace, settings: Settings, spec: BacktestSpec
) -> "WalkForwardResult":
    from tui_trader.backtest.walk_forward import data_span, parse_windows, plan, run_walk_forward

    train, test = parse_windows(args.walk_forward)
    windows = plan(*data_span(settings, spec), train, test)
    grid, base = parse_grid(args.grid), dict(settings.strategy_params)
    valid, _ = combinations(settings.strategy, base, grid)
    fast = args.fast and fast_grid(settings, spec)
    with (
        sweep_executor(args, len(valid)) as executor,
        bar(not args.no_progress, f"walk-forward ({executor.where})", len(windows)) as advance,
    ):
        executor = Watched(executor, advance, BestSoFar(args.rank_by, list(grid)))
        return run_walk_forward(
            settings, spec, base, grid, windows, executor, args.rank_by, advance, fast=fast
        )


def monte_carlo(
    args: argparse.Namespace, settings: Settings, spec: BacktestSpec
) -> MonteCarloResult:
    from tui_trader.backtest.choice import run_chosen
    from tui_trader.backtest.monte_carlo import run_monte_carlo

    fast = args.fast and fast_grid(settings, spec)
    with bar(not args.no_progress, "backtest", None) as advance:
        base = run_chosen(settings, spec, fast=fast, progress=advance)
    runs = args.monte_carlo
    with (
        sweep_executor(args, runs) as executor,
        bar(not args.no_progress, f"Monte Carlo ({executor.where})", runs) as advance,
    ):
        executor = Watched(executor, advance, MedianReturn())
        return run_monte_carlo(settings, spec, base, executor, runs=runs, seed=args.seed,
                               perturb_bps=args.perturb_bps, progress=advance,
                               fast=fast)  # fmt: skip


def optimize(args: argparse.Namespace, settings: Settings, spec: BacktestSpec) -> "OptimizeResult":
    from dataclasses import replace

    from tui_trader.backtest.optimize import run_optimize, search_space

    space = search_space(parse_grid(args.grid), args.search)
    runs = args.optimize
    fast = args.fast and fast_grid(settings, spec)
    with (
        sweep_executor(args, runs) as executor,
        bar(not args.no_progress, f"optimize ({executor.where})", runs) as advance,
    ):
        watched = Watched(executor, advance, BestSoFar(args.rank_by, list(space)))
        result = run_optimize(settings, spec, space, watched, trials=runs, rank_by=args.rank_by,
                              seed=args.seed, study=args.study, progress=advance,
                              fast=fast)  # fmt: skip
        if not (fast and args.confirm):
            return result
        ranked = [(row.params, row.value) for row in result.rows]
        base = dict(settings.strategy_params)
        checked = confirm_top(settings, spec, base, ranked, args.rank_by, executor, args.confirm)
        return replace(result, confirmation=checked)


class Watched:
    """An entered executor whose results, as they stream in, update the bar's note."""

    def __init__(self, inner: Executor, advance: Advance, best: "Finding") -> None:
        self._inner, self._advance, self._best = inner, advance, best
        self.workers, self.where = inner.workers, inner.where

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(
        self, task: Callable[[ItemT], ResultT], items: Sequence[ItemT]
    ) -> Iterator[tuple[int, ResultT]]:
        for index, result in self._inner.run(task, items):
            if (text := self._best.seen(items[index], result)) is not None:
                self._advance.note(text)
            yield index, result


class Finding(Protocol):
    def seen(self, item: object, result: object) -> str | None: ...


class MedianReturn:
    """Monte Carlo: the median return of the perturbed runs so far."""

    def __init__(self) -> None:
        self._returns: list[float] = []

    def seen(self, item: object, result: object) -> str | None:
        if not isinstance(result, PathFigures):
            return None
        self._returns.append(result.return_pct)
        return f"median return {statistics.median(self._returns):+.2f}% of {len(self._returns)}"


class BestSoFar:
    """The best result streamed in so far, by the ranking metric, with its parameters."""

    def __init__(self, rank_by: str, keys: Sequence[str]) -> None:
        self._getter, self._higher = RANKINGS[rank_by]
        self._rank_by, self._keys = rank_by, list(keys)
        self._value: float | None = None

    def seen(self, item: object, result: object) -> str | None:
        if not isinstance(result, Metrics) or (value := self._getter(result)) is None:
            return None
        if self._value is not None and (value <= self._value if self._higher
                                        else value >= self._value):  # fmt: skip
            return None
        self._value = value
        params = item if isinstance(item, dict) else {}
        chosen = " ".join(f"{key}={params.get(key)}" for key in self._keys)
        return f"best {self._rank_by} {value:.4g} ({chosen})"
