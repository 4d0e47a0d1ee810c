"""Which engine runs a backtest: the exact path (the live code), or the fast path for
the runs inside its subset (`--fast`, a single run or a grid), a single run checked
against the exact path with `--verify`.

The fast path needs the `fast` extra; without it `--fast` is a usage error (exit 2)
naming the install command. A run outside its subset runs on the exact path after one
line saying why; `--verify` finding any difference is a failure (exit 1) naming the
first one."""

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_trader.backtest.fingerprint import first_difference
from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.backtest.runner import run_backtest
from tui_trader.config import Settings

if TYPE_CHECKING:  # numba loads only when the fast path is asked for
    from tui_trader.backtest.fast import FastOutcome

INSTALL = "pip install 'tui-trader[fast]'"


class FastUnavailable(Exception):
    """numba or numpy is not installed."""


class VerifyFailed(Exception):
    """The fast path's result differs from the exact path's."""


def fast_runner() -> Callable[[Settings, BacktestSpec], "FastOutcome"]:
    """`run_fast`, imported on demand (numba's import and compiled kernels cost time)."""
    try:
        from tui_trader.backtest.fast import run_fast
    except ModuleNotFoundError as exc:
        if exc.name not in ("numba", "numpy", "llvmlite"):
            raise
        raise FastUnavailable(f"the fast path needs {exc.name}: {INSTALL}") from None
    return run_fast


def fast_grid(settings: Settings, spec: BacktestSpec) -> bool:
    """Whether a grid's runs go on the fast path (the subset does not depend on the
    strategy's parameters), saying why not in one line; raises FastUnavailable."""
    fast_runner()
    from tui_trader.backtest.fast import fast_reason

    why = fast_reason(settings, spec)
    if why:
        print(f"fast path not used: {why}; the grid runs on the exact path", file=sys.stderr)
    return not why


def run_chosen(
    settings: Settings,
    spec: BacktestSpec,
    *,
    fast: bool,
    verify: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BacktestResult:
    """The result by the engine asked for (see the module docstring); raises
    FastUnavailable and VerifyFailed."""
    if not (fast or verify):
        return run_backtest(settings, spec, progress)
    outcome = fast_runner()(settings, spec)
    if outcome.result is None:
        print(f"fast path not used: {outcome.reason}; running the exact path", file=sys.stderr)
        return run_backtest(settings, spec, progress)
    if progress is not None:
        progress(outcome.result.counts.candles)
    if outcome.decimal_walk:
        print(f"fast path: orders walked in Decimal, not compiled ({outcome.decimal_walk}); "
              "slower, the same answer", file=sys.stderr)  # fmt: skip
    if verify:
        difference = first_difference(outcome.result, run_backtest(settings, spec))
        if difference is not None:
            raise VerifyFailed(f"--verify: the fast path differs from the exact path: {difference}")
        print("--verify: the fast and the exact path agree (fills, counts, equity curve)",
              file=sys.stderr)  # fmt: skip
    return outcome.result
