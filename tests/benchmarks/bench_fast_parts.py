"""The fast path's figures for bench_backtest.py (imported by it; run alone only as the
child that measures peak memory): the fast path's median run from the column cache, its
peak memory at ten million candles in a fresh process, and a 36-pair EMA sweep on the
fast path against the exact grid.

    python tests/benchmarks/bench_fast_parts.py --memory FILE.csv CACHE_DIR
        (the child: one fast run, prints {"candles", "seconds", "peak_mb"} as JSON)
    python tests/benchmarks/bench_fast_parts.py --warm FILE.csv CACHE_DIR
        (writes the file's column cache first, in a process of its own)"""

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tui_trader.backtest.column_cache import candle_columns
from tui_trader.backtest.fast import run_fast
from tui_trader.backtest.fingerprint import first_difference
from tui_trader.backtest.grid import run_grid
from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.config import Settings

FAST_TARGET = 1_000_000  # candles/s per core (issue #15, part 2)
FAST_GOAL = 10.0  # × backtesting.py
MEMORY_MB = 500  # at ten million candles
SWEEP = {"fast_period": [5, 7, 9, 11, 13, 15], "slow_period": [20, 25, 30, 35, 40, 50]}


def fast_runs(settings: Settings, spec: BacktestSpec, repeat: int) -> tuple[BacktestResult, float]:
    """The fast path's result and its median wall time over `repeat` runs (the first,
    untimed, compiles the kernels or loads them from numba's cache)."""
    outcome = run_fast(settings, spec)
    if outcome.result is None:
        raise SystemExit(f"the fast path declined: {outcome.reason}")
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        outcome = run_fast(settings, spec)
        times.append(time.perf_counter() - began)
    assert outcome.result is not None
    return outcome.result, statistics.median(times)


def same_as(fast: BacktestResult, exact: BacktestResult) -> str:
    difference = first_difference(fast, exact)
    return "yes: every fill, count and equity sample" if difference is None else difference


def memory(path: Path, cache: Path) -> dict[str, float]:
    """A fresh process's fast run on `path` after another has written its column cache:
    the fast run's peak resident memory (ru_maxrss) and time."""
    script = [sys.executable, str(Path(__file__))]
    subprocess.run([*script, "--warm", str(path), str(cache)], check=True)
    command = [*script, "--memory", str(path), str(cache)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the memory child failed:\n{done.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def sweep(settings: Settings, spec: BacktestSpec) -> tuple[float, float, bool]:
    """Wall time of the 36-pair grid, exact then fast (both on every CPU), and whether
    they rank alike with the same metrics."""
    seconds, results = [], []
    for fast in (False, True):
        began = time.perf_counter()
        results.append(run_grid(settings, spec, {}, SWEEP, "total_return", fast=fast))
        seconds.append(time.perf_counter() - began)
    exact, quick = results
    return seconds[0], seconds[1], exact.rows == quick.rows


def _child(path: Path, cache: Path) -> None:
    from bench_backtest import settings

    spec = BacktestSpec(path, "BTCUSDT", cache=cache)
    began = time.perf_counter()
    outcome = run_fast(settings(), spec)
    seconds = time.perf_counter() - began
    assert outcome.result is not None, outcome.reason
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"candles": outcome.result.counts.candles, "seconds": seconds,
                      "peak_mb": peak_mb}))  # fmt: skip


if __name__ == "__main__":
    target, folder = Path(sys.argv[2]), Path(sys.argv[3])
    if sys.argv[1] == "--warm":
        candle_columns(target, "BTCUSDT", "1m", 60_000_000, folder)
    else:
        _child(target, folder)
