"""Backtest benchmark (a script, not a test): EMA-cross on 1m candles through the exact
path (the live strategy → risk → paper broker code), one core, compared in the same run
with the whole live code on every candle (the exact path before its column cache and
quiet-candle skipping), the fast path (backtest/fast/: the same fills, compiled), the
`tui-trader backtest` command, and backtesting.py, NautilusTrader and backtrader on the
same file; then the fast path's peak memory at ten million candles (a fresh process) and
a 36-pair EMA sweep, exact grid against fast grid (bench_fast_parts.py).

    python tests/benchmarks/bench_backtest.py [--candles N] [--seed S] [--repeat N]
        [--peers backtesting,nautilus,backtrader] [--no-external] [--profile]
        [--memory-candles N] [--sweep-candles N]

The candles (a seeded random walk) are written once as a Binance 12-column CSV. The first
run reads it and writes the column cache; the timed runs (median of --repeat) read the
cache, as every later backtest of that file does. All runs must agree fill for fill.
Peak memory is the process's maximum resident set (ru_maxrss) after the runs.
The comparisons run in a separate virtual environment outside the checkout (pandas and
the frameworks are not project dependencies), by default ~/.cache/tui-trader/bench-env
(BENCH_EXTERNAL_ENV overrides):
    python3 -m venv ~/.cache/tui-trader/bench-env
    ~/.cache/tui-trader/bench-env/bin/pip install backtesting backtrader nautilus_trader pandas
Without it they print "not installed"."""

import argparse
import cProfile
import json
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_fast_parts import FAST_GOAL, FAST_TARGET, MEMORY_MB, fast_runs, memory, same_as, sweep

from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.backtest.runner import BacktestRun, run_backtest
from tui_trader.config import Settings
from tui_trader.market.replay import read_candles

HERE = Path(__file__).resolve().parent
EXTERNAL_ENV = Path(
    os.environ.get("BENCH_EXTERNAL_ENV", "~/.cache/tui-trader/bench-env")
).expanduser()
EXTERNAL_PYTHON = EXTERNAL_ENV / "bin" / "python"
EXTERNAL_SCRIPT = HERE / "bench_backtest_external.py"
START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC
TARGET_RATE = 100_000  # issue #15: at 1M candles
TARGET_MB = 500
GOALS = {"backtesting": 1.0, "nautilus": 8.0, "backtrader": 10.0}  # our rate / theirs
CLI_SHARE = 0.5  # the command's start-up: at most this many seconds of its total


def generate(path: Path, count: int, seed: int) -> None:
    """A random walk from 30,000 with 0.1 % moves per minute, written line by line."""
    rng = random.Random(seed)
    gauss, uniform = rng.gauss, rng.uniform
    price = 30_000.0
    with path.open("w") as out:
        for index in range(count):
            close = price * (1 + gauss(0, 0.001))
            high = max(price, close) * (1 + abs(gauss(0, 0.0005)))
            low = min(price, close) * (1 - abs(gauss(0, 0.0005)))
            start = START_MS + index * 60_000
            out.write(f"{start},{price:.2f},{high:.2f},{low:.2f},{close:.2f},"
                      f"{uniform(1, 20):.4f},{start + 59_999},0,0,0,0,0\n")  # fmt: skip
            price = float(f"{close:.2f}")


def settings() -> Settings:
    """EMA 9/21 with market orders (filled at the next open, like the other two), 0.1 %
    fee, no slippage, no daily order cap and a circuit breaker at 50 % (the walk never
    moves that far in a day), so all of them trade every cross."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        symbols=("BTCUSDT",),
        strategy="ema_cross",
        strategy_params={"fast_period": 9, "slow_period": 21},
        allow_market_orders=True,
        fee_rate="0.001",
        slippage_bps="0",
        max_orders_per_day=1_000_000,
        circuit_breaker_pct="50",
    )


def external(framework: str, path: Path) -> dict[str, float] | None:
    if not EXTERNAL_PYTHON.exists():
        return None
    command = [str(EXTERNAL_PYTHON), str(EXTERNAL_SCRIPT), framework, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{framework} failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--candles", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", action="store_true", help="cProfile our run, top 30 tottime")
    ap.add_argument("--no-external", action="store_true", help="skip the comparisons")
    ap.add_argument("--peers", default="backtesting,nautilus,backtrader",
                    help="frameworks to compare with (comma-separated)")  # fmt: skip
    ap.add_argument("--repeat", type=int, default=3, help="timed cached runs (median)")
    ap.add_argument(
        "--memory-candles",
        type=int,
        default=10_000_000,
        help="the fast path's peak memory at this many candles (0: skip)",
    )
    ap.add_argument(
        "--sweep-candles",
        type=int,
        default=200_000,
        help="the 36-pair EMA sweep, exact vs fast grid, on this many (0: skip)",
    )
    return ap.parse_args()


def _same(one: BacktestResult, two: BacktestResult) -> bool:
    return (
        one.fills == two.fills
        and one.counts == two.counts
        and one.final_equity == two.final_equity
        and one.curve.equity == two.curve.equity
        and one.curve.times_ms == two.curve.times_ms
    )


def command_seconds(path: Path, folder: Path) -> tuple[float, float]:
    """Wall time of `tui-trader backtest` on `path` (its column cache warm, as after
    any first run) and on a 100-candle file: the command's start-up and report."""
    small = folder / "small.csv"
    small.write_text("".join(path.open().readlines()[:100]))
    env = {**os.environ, "TUI_TRADER_DATA_DIR": str(folder / "data"),
           "MAX_ORDERS_PER_DAY": "1000000", "SYMBOLS": "BTCUSDT"}  # fmt: skip
    script = Path(sys.executable).with_name("tui-trader")
    seconds = []
    for data in (path, path, small, small):  # the first of each warms the cache
        command = [str(script), "backtest", "--strategy", "ema_cross", "--data", str(data),
                   "--param", "fast_period=9", "--param", "slow_period=21", "--market-orders",
                   "--fee", "0.001", "--slippage", "0", "--no-progress", "--output", "json",
                   "--file", os.devnull]  # fmt: skip
        began = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        seconds.append(time.perf_counter() - began)
    return seconds[1], seconds[3]


def comparison(other: dict[str, float] | None, rate: float, goal: int) -> str:
    if other is None:
        return "not installed (see the docstring)"
    theirs = other["bars"] / other["run_s"]
    with_load = other["bars"] / (other["run_s"] + other["load_s"])
    return (
        f"{theirs:,.0f} bars/s run ({other['run_s']:.2f} s, +{other['load_s']:.2f} s CSV "
        f"load), {int(other['trades']):,} trades; ours is {rate / theirs:.2f}x its run, "
        f"{rate / with_load:.2f}x with load (goal {goal:g}x)"
    )


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as folder:
        path = Path(folder) / "BTCUSDT-1m.csv"
        began = time.perf_counter()
        generate(path, args.candles, args.seed)
        generated = time.perf_counter() - began
        spec = BacktestSpec(path, "BTCUSDT", cache=Path(folder) / "cache")
        began = time.perf_counter()
        first = run_backtest(settings(), spec)  # writes the column cache
        first_s = time.perf_counter() - began
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(run_backtest, settings(), spec)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            return
        began = time.perf_counter()
        parsed = sum(1 for _ in read_candles(path, "BTCUSDT"))
        parse_s = time.perf_counter() - began
        times = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            result = run_backtest(settings(), spec)
            times.append(time.perf_counter() - began)
        ours_s = statistics.median(times)
        same = _same(first, result)
        began = time.perf_counter()
        reference = BacktestRun(settings(), spec, every_candle=True).run()
        every_s = time.perf_counter() - began
        same = same and _same(reference, result)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        fast, fast_s = fast_runs(settings(), spec, args.repeat)
        fast_same = same_as(fast, result)
        cli_s, startup_s = command_seconds(path, Path(folder))
        frameworks = () if args.no_external else tuple(args.peers.split(","))
        others = {name: external(name, path) for name in frameworks}
        extra = fast_extras(args, Path(folder))
    rate = result.counts.candles / ours_s
    counts = result.counts
    rows = [
        ("command", " ".join([sys.executable, *sys.argv])),
        ("python", f"{sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}"),
        ("candles", f"{counts.candles:,} 1m, seed {args.seed} (file written in {generated:.1f} s)"),
        ("read only", f"{parsed / parse_s:,.0f} candles/s (read_candles alone, {parse_s:.2f} s)"),
        ("tui-trader", f"{rate:,.0f} candles/s ({ours_s:.2f} s, median of {args.repeat}: cached "
                       "columns → strategy → risk → paper)"),
        ("first run", f"{counts.candles / first_s:,.0f} candles/s ({first_s:.2f} s, CSV read and "
                      "cached)"),
        ("every candle", f"{counts.candles / every_s:,.0f} candles/s ({every_s:.2f} s: the whole "
                         f"live code on every candle, streamed from the CSV); ours is "
                         f"{every_s / ours_s:.1f}x it"),
        ("same results", "yes: fills, counts, equity curve, final equity" if same else "NO"),
        ("trades", f"{len(result.trades):,} round trips, {len(result.fills):,} fills, "
                   f"{counts.signals:,} signals, refusals {dict(counts.refusals)}"),
        ("peak memory", f"{peak_mb:,.0f} MB resident (target <= {TARGET_MB} MB)"),
        ("target", f"{TARGET_RATE:,} candles/s: reached {rate / TARGET_RATE:.1%} of it"),
        ("command", f"tui-trader backtest {cli_s:.2f} s in all, {counts.candles / cli_s:,.0f} "
                    f"candles/s; start-up {startup_s:.2f} s (a 100-candle file; goal <= "
                    f"{CLI_SHARE} s)"),
    ]  # fmt: skip
    for framework, goal in GOALS.items():
        if framework not in others:
            rows.append((framework, "skipped (--no-external or --peers)"))
        else:
            rows.append((framework, comparison(others[framework], rate, goal)))
    rows += fast_rows(fast, fast_s, ours_s, others.get("backtesting"), fast_same, extra)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def fast_extras(args: argparse.Namespace, folder: Path) -> dict[str, str]:
    """Peak memory at --memory-candles and the 36-pair sweep at --sweep-candles."""
    extra: dict[str, str] = {}
    if args.memory_candles:
        big = folder / "big" / "BTCUSDT-1m.csv"
        big.parent.mkdir()
        generate(big, args.memory_candles, args.seed)
        got = memory(big, folder / "big" / "cache")
        extra["fast memory"] = (
            f"{got['peak_mb']:,.0f} MB peak resident at {int(got['candles']):,} candles "
            f"(a fresh process, cache warm; target <= {MEMORY_MB} MB), "
            f"{got['candles'] / got['seconds']:,.0f} candles/s"
        )
        big.unlink()
    if args.sweep_candles:
        small = folder / "sweep" / "BTCUSDT-1m.csv"
        small.parent.mkdir()
        generate(small, args.sweep_candles, args.seed)
        exact_s, fast_s, alike = sweep(
            settings(), BacktestSpec(small, "BTCUSDT", cache=small.parent)
        )
        extra["36-pair sweep"] = (
            f"{args.sweep_candles:,} candles, {os.cpu_count()} workers: "
            f"exact grid {exact_s:.1f} s, "
            f"fast grid {fast_s:.1f} s: {exact_s / fast_s:.1f}x; "
            f"{'same ranking and metrics' if alike else 'RANKINGS DIFFER'}"
        )
    return extra


def fast_rows(
    fast: BacktestResult,
    fast_s: float,
    exact_s: float,
    backtesting: dict[str, float] | None,
    same: str,
    extra: dict[str, str],
) -> list[tuple[str, str]]:
    rate = fast.counts.candles / fast_s
    versus = "backtesting.py not run"
    if backtesting is not None:
        theirs = backtesting["bars"] / backtesting["run_s"]
        versus = f"{rate / theirs:.1f}x backtesting.py's run (goal {FAST_GOAL:g}x)"
    return [
        ("fast path", f"{rate:,.0f} candles/s ({fast_s:.2f} s, median of the same runs: column "
                      f"cache → compiled decisions → compiled orders); {exact_s / fast_s:.1f}x the "
                      f"exact path; {versus}; target {FAST_TARGET:,}/s: {rate / FAST_TARGET:.0%}"),
        ("fast = exact", same),
        *extra.items(),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
