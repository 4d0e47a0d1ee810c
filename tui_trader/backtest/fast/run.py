"""One fast backtest: the strategy's decisions compiled over the whole column, the order
path in Decimal on the candles where money moves, the equity curve compiled again.

Between two such candles nothing changes that anything reads (the exact path calls
them quiet, backtest/quiet.py): the fast path visits only the candles with a signal, the
candle after an order (its fill), and a day's first candle when an entry later that day
needs the start-of-day equity (the daily loss check)."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tui_trader.backtest.column_cache import candle_columns
from tui_trader.backtest.columns import CandleColumns
from tui_trader.backtest.fast import kernels
from tui_trader.backtest.fast.ledger import ZERO
from tui_trader.backtest.fast.result import curve, result
from tui_trader.backtest.fast.subset import decide, unsupported
from tui_trader.backtest.fast.visit import CLOSE, OPEN, Visit
from tui_trader.backtest.quiet import MARGIN
from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.backtest.runner import BacktestRun
from tui_trader.config import Settings
from tui_trader.market.pacing import interval_seconds
from tui_trader.strategies.base import US_PER_DAY
from tui_trader.strategies.registry import create_strategy

Days = npt.NDArray[np.int64]
# The cache's columns a fast run reads (column_cache.ALL_PARTS): the open times, the close
# as float, and with MARKET orders the open and close as Decimal (coefficient, exponent),
# not the rest: a run over ten million candles holds 34 bytes a candle of them, not 93.
MARKET_PARTS = (0, 1 + CLOSE, 6 + OPEN, 6 + CLOSE, 11 + OPEN, 11 + CLOSE)
LIMIT_PARTS = (0, 1 + CLOSE, *range(6, 16))  # limits match on low, high and volume too


@dataclass(frozen=True, slots=True)
class FastOutcome:
    result: BacktestResult | None  # None: outside the subset, `reason` says why
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Run:
    """A run inside the subset, read and checked, before its decisions."""

    frame: BacktestRun  # the range, gaps and dropped rows, as the exact path reports them
    columns: CandleColumns
    start: int
    stop: int
    open_us: npt.NDArray[np.int64]
    close: npt.NDArray[np.float64]
    close_day: Days  # the UTC day of each close time


def _prepare(settings: Settings, spec: BacktestSpec) -> _Run | str:
    """The run's columns, or why it runs on the exact path."""
    why = unsupported(settings)
    if why:
        return why
    step_us = interval_seconds(settings.candle_interval) * 1_000_000
    interval = settings.candle_interval
    parts = MARKET_PARTS if settings.allow_market_orders else LIMIT_PARTS
    columns = candle_columns(spec.data, spec.symbol, interval, step_us, spec.cache, parts)
    if columns is None:
        return "the file cannot be read as columns (the exact path says why)"
    frame = BacktestRun(settings, spec)
    start, stop = frame.candle_range(columns)
    frame.report_feed(columns, stop)
    open_us = np.frombuffer(columns.open_us, np.int64)[start:stop]
    close = np.frombuffer(columns.floats[CLOSE], np.float64)[start:stop]
    close_day = (open_us + (step_us - 1000)) // US_PER_DAY
    pct = float(settings.circuit_breaker_pct)
    reach = int(kernels.breaker_reach(close, close_day, pct, MARGIN))
    if reach >= 0:
        return f"the circuit breaker may trip at {columns.close_time(start + reach):%Y-%m-%d %H:%M}"
    return _Run(frame, columns, start, stop, open_us, close, close_day)


def fast_reason(settings: Settings, spec: BacktestSpec) -> str:
    """Why `spec` under `settings` runs on the exact path, or "" when it runs fast (the
    same for every parameter set of a grid: the subset does not depend on them)."""
    prepared = _prepare(settings, spec)
    return prepared if isinstance(prepared, str) else ""


def run_fast(settings: Settings, spec: BacktestSpec) -> FastOutcome:
    """The backtest of `spec` on the fast path, or why it runs on the exact path."""
    run = _prepare(settings, spec)
    if isinstance(run, str):
        return FastOutcome(None, run)
    strategy = create_strategy(settings.strategy, spec.symbol, settings.strategy_params)
    actions = decide(strategy, run.close)
    days = [0, *(np.flatnonzero(np.diff(run.close_day)) + 1).tolist()] if len(actions) else []
    visit = Visit(settings, run.columns, run.start, days)
    _walk(visit, actions)
    visit.path.counts.candles = run.stop - run.start
    last = run.columns.decimal(CLOSE, run.stop - 1) if run.stop > run.start else ZERO
    samples = curve(visit, run.open_us, run.close)
    return FastOutcome(result(settings, spec, run.frame, visit, samples, last, strategy.params))


def _walk(visit: Visit, actions: npt.NDArray[np.int8]) -> None:
    """Visit each candle with a signal and, while an order rests, every candle (the
    exchange matches it, the core may cancel it): the exact path's live candles, less
    the day starts, whose equity the visits read back when an entry needs it."""
    signals: list[int] = np.flatnonzero(actions).tolist()
    acts = dict(zip(signals, actions[signals].tolist(), strict=True))
    book, count, at, j = visit.path.book.orders, len(actions), 0, -1
    while True:
        if book:
            j += 1
        else:
            while at < len(signals) and signals[at] <= j:
                at += 1
            j = signals[at] if at < len(signals) else count
        if j >= count:
            break
        visit.candle(j, acts.get(j, 0))
    visit.path.counts.signals = len(signals)
