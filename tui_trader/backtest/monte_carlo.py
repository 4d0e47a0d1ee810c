"""Monte Carlo robustness: how much of a backtest's result is the luck of one path.

Two tests, both seeded (the same seed gives the same bands):
- Trade-order shuffle: the run's own closed trades in `runs` random orders. The final
  profit is a sum, so it does not move; the maximum drawdown does: the band says how
  deep the same trades could have dug had they come in another order.
- Candle perturbation: `runs` full backtests (the exact engine, on the executor) of the
  same candles with every open, high, low and close moved by Gaussian noise of
  `perturb_bps` basis points (then high/low widened to contain them, each price kept at
  its own decimal places). A rule whose return collapses under a few bps of noise was
  fitted to the noise of this one path.

Bands are the 5th, 50th and 95th percentiles (nearest rank) of the runs."""

import csv
import random
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from pathlib import Path

from tui_trader.backtest.executors import Executor
from tui_trader.backtest.grid import backtest
from tui_trader.backtest.metrics import compute_metrics
from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.config import Settings
from tui_trader.domain.market import Candle
from tui_trader.journal.trades import RoundTrip
from tui_trader.market.replay import read_candles

_MS = 1000


@dataclass(frozen=True, slots=True)
class Band:
    low: float  # 5th percentile
    median: float
    high: float  # 95th percentile

    @classmethod
    def of(cls, values: Sequence[float]) -> "Band":
        ordered = sorted(values)
        if not ordered:
            return cls(0.0, 0.0, 0.0)

        def at(share: float) -> float:
            return ordered[round(share * (len(ordered) - 1))]

        return cls(at(0.05), at(0.5), at(0.95))


@dataclass(frozen=True, slots=True)
class PathFigures:
    return_pct: float
    drawdown_pct: float
    trades: int


@dataclass(frozen=True, slots=True)
class MonteCarloResult:
    runs: int
    seed: int
    perturb_bps: float
    base: PathFigures
    shuffled_drawdown: Band  # % of peak equity
    perturbed_return: Band  # % of initial equity
    perturbed_drawdown: Band
    perturbed_trades: Band
    perturbed: tuple[PathFigures, ...]  # every perturbed run, in seed order


def figures(result: BacktestResult) -> PathFigures:
    metrics = compute_metrics(result)
    return PathFigures(metrics.total_return_pct, metrics.drawdown.pct, len(result.trades))


def drawdown_of(initial: Decimal, trades: Sequence[RoundTrip]) -> float:
    """The deepest fall from a peak (% of the peak) of equity stepped trade by trade."""
    equity = peak = initial
    deepest = Decimal(0)
    for trade in trades:
        equity += trade.pnl
        peak = max(peak, equity)
        if peak > 0:
            deepest = max(deepest, (peak - equity) / peak)
    return float(deepest * 100)


def shuffled_drawdowns(
    initial: Decimal, trades: Sequence[RoundTrip], runs: int, seed: int
) -> list[float]:
    rng = random.Random(seed)
    order = list(trades)
    found = []
    for _ in range(runs):
        rng.shuffle(order)
        found.append(drawdown_of(initial, order))
    return found


def perturbed(candles: Iterator[Candle], seed: int, bps: float) -> Iterator[Candle]:
    rng = random.Random(seed)
    scale = bps / 10_000
    for candle in candles:
        prices = [
            _moved(price, rng.gauss(0.0, scale))
            for price in (candle.open, candle.high, candle.low, candle.close)
        ]
        high, low = max(prices), min(prices)
        yield replace(candle, open=prices[0], high=high, low=low, close=prices[3])


def _moved(price: Decimal, shift: float) -> Decimal:
    moved = (price * (1 + Decimal(repr(shift)))).quantize(price)
    return moved if moved > 0 else price


def write_klines(candles: Iterator[Candle], path: Path) -> None:
    """Candles as Binance's 12-column kline CSV (what `read_candles` reads)."""
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        for c in candles:
            start = int(c.open_time.timestamp() * _MS)
            end = int(c.close_time.timestamp() * _MS)
            out.writerow([start, c.open, c.high, c.low, c.close, c.volume, end, 0, 0, 0, 0, 0])


def perturbed_run(
    settings: Settings, spec: BacktestSpec, bps: float, fast: bool, seed: int
) -> PathFigures:
    """One perturbed backtest (a worker task): the noisy candles in a file of its own;
    `fast`: on the fast path (inside its subset)."""
    interval = settings.candle_interval
    candles = (
        c
        for c in read_candles(spec.data, spec.symbol, interval)
        if (spec.start is None or c.open_time >= spec.start)
        and (spec.end is None or c.open_time < spec.end)
    )
    with tempfile.TemporaryDirectory(prefix="tui-trader-mc-") as folder:
        path = Path(folder) / "perturbed.csv"
        write_klines(perturbed(candles, seed, bps), path)
        return figures(backtest(settings, BacktestSpec(path, spec.symbol), fast))


def run_monte_carlo(
    settings: Settings,
    spec: BacktestSpec,
    base: BacktestResult,
    executor: Executor,
    *,
    runs: int = 100,
    seed: int = 1,
    perturb_bps: float = 5.0,
    progress: Callable[[int, int], None] | None = None,
    fast: bool = False,
) -> MonteCarloResult:
    """Both tests around `base` (the unperturbed run of the same settings and spec)."""
    task = partial(perturbed_run, settings, spec, perturb_bps, fast)
    seeds = [seed * 1_000_003 + run for run in range(runs)]
    found: dict[int, PathFigures] = {}
    for index, result in executor.run(task, seeds):
        found[index] = result
        if progress is not None:
            progress(len(found), runs)
    paths = tuple(found[index] for index in range(runs))
    return MonteCarloResult(
        runs=runs,
        seed=seed,
        perturb_bps=perturb_bps,
        base=figures(base),
        shuffled_drawdown=Band.of(shuffled_drawdowns(base.initial_equity, base.trades, runs, seed)),
        perturbed_return=Band.of([path.return_pct for path in paths]),
        perturbed_drawdown=Band.of([path.drawdown_pct for path in paths]),
        perturbed_trades=Band.of([float(path.trades) for path in paths]),
        perturbed=paths,
    )
