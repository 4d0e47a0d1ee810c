"""Parameter search with Optuna (as Freqtrade's hyperopt and Jesse use it): a seeded TPE
sampler over `--grid` choices and `--search KEY=LOW..HIGH` ranges, ranking by one metric.

The study lives in `<data dir>/optuna.sqlite3` under a name made of the strategy, the
metric, the candle file's content and the search space, so running the same command
again resumes it (RUNS more trials, the sampler seeing every earlier one); `--study`
names it instead. Trials are asked for in batches of the executor's width and backtested
in parallel (local processes or a Dask cluster), then told their results in order, so a
seed gives the same trials for the same history. A combination the strategy refuses
(fast_period >= slow_period) or one without a value for the metric is a failed trial."""

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tui_trader.backtest.column_cache import cache_key
from tui_trader.backtest.confirm import Confirmation
from tui_trader.backtest.executors import Executor
from tui_trader.backtest.grid import RANKINGS, evaluate
from tui_trader.backtest.metrics import Metrics
from tui_trader.backtest.results import BacktestSpec
from tui_trader.config import Settings
from tui_trader.strategies.base import StrategyParamError
from tui_trader.strategies.params import parse_override

OPTIMIZE_EXTRA = "pip install 'tui-trader[optimize]'"
_RANGE = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*([-+0-9.eE]+)\s*\.\.\s*([-+0-9.eE]+)\s*$")
Space = dict[str, tuple[str, Any]]  # name -> ("choice", [values]) | ("int"|"float", (lo, hi))


class OptimizeError(ValueError):
    """A search space that cannot be searched, or Optuna not installed."""


@dataclass(frozen=True, slots=True)
class TrialRow:
    params: dict[str, Any]  # the searched keys
    value: float  # the ranking metric
    return_pct: float
    drawdown_pct: float
    trades: int


@dataclass(frozen=True, slots=True)
class OptimizeResult:
    study: str
    storage: Path
    rank_by: str
    trials: int  # in the study, this run's included
    new_trials: int
    failed: int  # refused combinations and trials without a value for the metric
    rows: list[TrialRow]  # every completed trial, best first (ties: the earlier trial)
    confirmation: Confirmation | None = None  # --fast: the top k on the exact path


def parse_range(item: str) -> tuple[str, tuple[str, Any]]:
    """ "fast_period=5..30" → an int range; "max_atr_pct=1.5..4" → a float range."""
    found = _RANGE.match(item)
    if not found:
        raise OptimizeError(f"--search {item!r}: expected KEY=LOW..HIGH, e.g. fast_period=5..30")
    name, low_text, high_text = found.groups()
    low, high = parse_override(f"x={low_text}")[1], parse_override(f"x={high_text}")[1]
    if not all(isinstance(v, int | float) for v in (low, high)) or low >= high:
        raise OptimizeError(f"--search {item!r}: LOW and HIGH must be numbers, LOW < HIGH")
    kind = "int" if isinstance(low, int) and isinstance(high, int) else "float"
    return name, (kind, (low, high) if kind == "int" else (float(low), float(high)))


def search_space(grid: Mapping[str, Sequence[Any]], ranges: Sequence[str]) -> Space:
    space: Space = {name: ("choice", list(values)) for name, values in grid.items()}
    for item in ranges:
        name, dimension = parse_range(item)
        if name in space:
            raise OptimizeError(f"--search {item!r}: {name} is searched twice")
        space[name] = dimension
    if not space:
        raise OptimizeError("--optimize needs a search space: --grid KEY=V1,V2 or --search")
    return space


def study_name(settings: Settings, spec: BacktestSpec, rank_by: str, space: Space) -> str:
    key = cache_key(spec.data, spec.symbol, settings.candle_interval)
    parts = [settings.strategy, rank_by, key, str(spec.start), str(spec.end),
             settings.strategy_params, space]  # fmt: skip
    described = json.dumps(parts, sort_keys=True, default=str)
    return f"{settings.strategy}-{rank_by}-{hashlib.sha256(described.encode()).hexdigest()[:12]}"


def _suggest(trial: Any, space: Space) -> dict[str, Any]:
    params = {}
    for name, (kind, values) in space.items():
        if kind == "choice":
            params[name] = trial.suggest_categorical(name, values)
        elif kind == "int":
            params[name] = trial.suggest_int(name, *values)
        else:
            params[name] = trial.suggest_float(name, *values)
    return params


def _checked(
    settings: Settings, spec: BacktestSpec, fast: bool, params: dict[str, Any]
) -> Metrics | str:
    """A worker task: the metrics, or why the strategy refused the combination."""
    try:
        return evaluate(settings, spec, params, fast=fast)
    except StrategyParamError as exc:
        return str(exc)


def run_optimize(
    settings: Settings,
    spec: BacktestSpec,
    space: Space,
    executor: Executor,
    *,
    trials: int,
    rank_by: str = "sharpe",
    seed: int = 1,
    study: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    fast: bool = False,
) -> OptimizeResult:
    try:
        import optuna
    except ImportError:
        raise OptimizeError(f"--optimize needs the optimize extra: {OPTIMIZE_EXTRA}") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    getter, higher = RANKINGS[rank_by]
    storage = settings.data_path / "optuna.sqlite3"
    storage.parent.mkdir(parents=True, exist_ok=True)
    name = study or study_name(settings, spec, rank_by, space)
    found = optuna.create_study(
        storage=f"sqlite:///{storage}", study_name=name, load_if_exists=True,
        direction="maximize" if higher else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
    )  # fmt: skip
    base = dict(settings.strategy_params)
    task = partial(_checked, settings, spec, fast)
    done = 0
    while done < trials:
        batch = [found.ask() for _ in range(min(executor.workers, trials - done))]
        params = [{**base, **_suggest(trial, space)} for trial in batch]
        outcomes = dict(executor.run(task, params))
        for index, trial in enumerate(batch):
            outcome = outcomes[index]
            value = getter(outcome) if isinstance(outcome, Metrics) else None
            if value is None:
                trial.set_user_attr("failed", outcome if isinstance(outcome, str) else "no value")
                found.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            assert isinstance(outcome, Metrics)  # a value came from metrics
            trial.set_user_attr("return_pct", outcome.total_return_pct)
            trial.set_user_attr("drawdown_pct", outcome.drawdown.pct)
            trial.set_user_attr("trades", outcome.trades.count)
            found.tell(trial, value)
        done += len(batch)
        if progress is not None:
            progress(done, trials)
    return _result(found, name, storage, rank_by, trials)


def _result(study: Any, name: str, storage: Path, rank_by: str, new: int) -> OptimizeResult:
    trials = study.get_trials(deepcopy=False)
    rows = [
        TrialRow(
            dict(t.params),
            float(t.value),
            t.user_attrs["return_pct"],
            t.user_attrs["drawdown_pct"],
            t.user_attrs["trades"],
        )
        for t in trials
        if t.state.name == "COMPLETE"
    ]
    failed = sum(t.state.name == "FAIL" for t in trials)
    higher = RANKINGS[rank_by][1]
    ordered = sorted(enumerate(rows), key=lambda item: (-item[1].value if higher
                     else item[1].value, item[0]))  # fmt: skip
    return OptimizeResult(name, storage, rank_by, len(trials), new, failed,
                          [row for _, row in ordered])  # fmt: skip
