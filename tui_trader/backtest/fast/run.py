"""One fast backtest: the strategy's decisions compiled over the whole column, the order
path in Decimal on the candles where money can move, the equity curve compiled again.

Between two such candles nothing changes that anything reads (the exact path calls
them quiet, backtest/quiet.py): the fast path visits only the candles with a signal and,
while an order rests, every candle (its matching, its time to live); a day's first
candle is read back when an entry later that day needs the start-of-day equity."""

import gc
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tui_trader.backtest.column_cache import ALL_PARTS, cache_target, candle_columns, load
from tui_trader.backtest.fast import kernels
from tui_trader.backtest.fast.breaker import Breaker
from tui_trader.backtest.fast.fixed_walk import FixedWalk
from tui_trader.backtest.fast.ledger import ZERO
from tui_trader.backtest.fast.result import curve, result
from tui_trader.backtest.fast.source import CLOSE, CLOSE_FLOAT, CachedSource, Damaged, Source
from tui_trader.backtest.fast.stepping import visits
from tui_trader.backtest.fast.subset import decide, unsupported
from tui_trader.backtest.fast.visit import Visit
from tui_trader.backtest.quiet import MARGIN
from tui_trader.backtest.results import BacktestResult, BacktestSpec, EquityCurve
from tui_trader.backtest.runner import BacktestRun, to_micros
from tui_trader.config import Settings
from tui_trader.domain.events import SafetyKind
from tui_trader.market.pacing import interval_seconds
from tui_trader.strategies.registry import create_strategy

NOT_COLUMNS = "the file cannot be read as columns (the exact path says why)"


@dataclass(frozen=True, slots=True)
class FastOutcome:
    result: BacktestResult | None  # None: outside the subset, `reason` says why
    reason: str = ""
    decimal_walk: str = ""  # why the orders were walked in Decimal, not compiled ("": were not)


@dataclass(frozen=True, slots=True)
class _Run:
    """A run inside the subset, read and checked, before its decisions."""

    frame: BacktestRun  # the range, gaps and dropped rows, as the exact path reports them
    source: Source
    start: int
    close: npt.NDArray[np.float64]  # the run's closes
    days: list[int]  # the candles (of the run) that begin a UTC day by their close time
    near: list[int]  # the candles near or past the circuit breaker's threshold
    curve: EquityCurve  # its times filled in


def _source(settings: Settings, spec: BacktestSpec) -> Source | None:
    """The cache file when it holds the columns (read part by part), else the columns
    read now (and cached); None when the file cannot be read as columns."""
    interval = settings.candle_interval
    step_us = interval_seconds(interval) * 1_000_000
    if spec.cache is not None:
        try:
            target = cache_target(spec.data, spec.symbol, interval, spec.cache)
        except OSError:
            return None
        cached = load(target, spec.symbol, interval, (CLOSE_FLOAT,))
        if cached is not None and cached.step_us == step_us:
            return CachedSource(target, cached)
    columns = candle_columns(spec.data, spec.symbol, interval, step_us, spec.cache, ALL_PARTS)
    return None if columns is None else Source(columns)


def _range(source: Source, spec: BacktestSpec) -> tuple[int, int]:
    """BacktestRun.candle_range over the streamed open times."""
    start, stop = 0, len(source)
    bounds = [None if when is None else to_micros(when) for when in (spec.start, spec.end)]
    if bounds == [None, None]:
        return start, stop
    low, high = bounds
    start, stop = -1, -1
    for first, chunk in source.open_chunks():
        if low is not None and start < 0 and chunk[-1] >= low:
            start = first + int(np.searchsorted(chunk, low))
        if high is not None and stop < 0 and chunk[-1] >= high:
            stop = first + int(np.searchsorted(chunk, high))
    start = 0 if low is None else (len(source) if start < 0 else start)
    stop = len(source) if stop < 0 else stop
    return start, max(start, stop)


def _prepare(settings: Settings, spec: BacktestSpec) -> _Run | str:
    """The run's columns and close times, or why it runs on the exact path."""
    why = unsupported(settings)
    if why:
        return why
    source = _source(settings, spec)
    if source is None:
        return NOT_COLUMNS
    try:
        return _scan(settings, spec, source)
    except Damaged as exc:
        return f"{exc}: the exact path reads the file again"


def _scan(settings: Settings, spec: BacktestSpec, source: Source) -> _Run:
    """The range, its close times, day starts and the candles near the breaker's band."""
    days: list[int]
    near: list[int]
    frame = BacktestRun(settings, spec)
    start, stop = _range(source, spec)
    frame.report_feed(source.columns.gaps, source.columns.dropped, stop)
    close = source.closes()[start:stop]
    samples = EquityCurve()
    samples.times_ms = array("q", [0]) * (stop - start)
    times = np.frombuffer(samples.times_ms, np.int64) if stop > start else np.zeros(0, np.int64)
    state, previous, days, near = np.zeros(2, np.int64), np.zeros(1), [], []
    shift = source.columns.step_us - 1000
    pct = float(settings.circuit_breaker_pct)
    for first, chunk in source.open_chunks():
        low, high = max(first, start), min(first + len(chunk), stop)
        if low >= high:
            continue
        found, by = np.empty(high - low, np.int64), np.empty(high - low, np.int64)
        count, count_by = kernels.scan(chunk[low - first : high - first], close, low - start,
                                       shift, pct, MARGIN, state, previous, times, found,
                                       by)  # fmt: skip
        days += found[:count].tolist()
        near += by[:count_by].tolist()
    del times
    return _Run(frame, source, start, close, days, near, samples)


def fast_reason(settings: Settings, spec: BacktestSpec) -> str:
    """Why `spec` under `settings` runs on the exact path, or "" when it runs fast (the
    same for every parameter set of a grid: the subset does not depend on them)."""
    prepared = _prepare(settings, spec)
    if isinstance(prepared, str):
        return prepared
    prepared.source.finish()
    return ""


def run_fast(settings: Settings, spec: BacktestSpec) -> FastOutcome:
    """The backtest of `spec` on the fast path, or why it runs on the exact path."""
    with _collector_paused():
        return _run_fast(settings, spec)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for the run: it makes a few hundred thousand
    objects (fills, round trips, Decimals) that hold no cycles, and the collector's
    passes over them while they pile up took as long as building them (measured:
    0.36 s → 0.20 s for a million candles' fills). Restored as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run_fast(settings: Settings, spec: BacktestSpec) -> FastOutcome:
    run = _prepare(settings, spec)
    if isinstance(run, str):
        return FastOutcome(None, run)
    strategy = create_strategy(settings.strategy, spec.symbol, settings.strategy_params)
    actions = decide(strategy, run.close)
    guard = Breaker(settings, run.source, run.start, run.days)
    guard.replay(run.near, len(run.close))
    try:
        visit, decimal_walk = _compiled(settings, run, guard, actions)
    except Damaged as exc:
        return FastOutcome(None, f"{exc}: the exact path reads the file again")
    count = len(run.close)
    visit.path.counts.candles = count
    if guard.changes:  # its events, one a trip or a clear
        visit.path.counts.safety[SafetyKind.CIRCUIT_BREAKER] += len(guard.changes)
    last = run.source.decimal(CLOSE, run.start + count - 1) if count else ZERO
    samples = curve(visit, run.close, run.curve, run.source.hand_over_closes(run.close))
    try:
        run.source.finish()
    except Damaged as exc:
        return FastOutcome(None, f"{exc}: the exact path reads the file again")
    found = result(settings, spec, run.frame, visit, samples, last, strategy.params)
    return FastOutcome(found, decimal_walk=decimal_walk)


def _compiled(
    settings: Settings, run: _Run, guard: Breaker, actions: npt.NDArray[np.int8]
) -> tuple[Visit, str]:
    """The run walked by the compiled order path, or in Decimal when a figure leaves its
    range (fixed_walk.py), and why; the two give the same Decimals where both finish."""
    visit, why = Visit(settings, run.source, run.start, run.days, guard), ""
    try:
        FixedWalk(visit, actions, guard.changes).run()
    except OverflowError as exc:
        visit, why = Visit(settings, run.source, run.start, run.days, guard), str(exc)
        _walk(visit, actions)
    visit.path.counts.signals = int(np.count_nonzero(actions))
    return visit, why


def _walk(visit: Visit, actions: npt.NDArray[np.int8]) -> None:
    """Visit each candle with a signal and, while an order rests, every candle (the
    exchange matches it, the core may cancel it): the exact path's live candles, less
    the day starts, whose equity the visits read back when an entry needs it."""
    signals: list[int] = np.flatnonzero(actions).tolist()
    acts = dict(zip(signals, actions[signals].tolist(), strict=True))
    book = visit.path.book.orders
    for j in visits(signals, len(actions), lambda: bool(book)):
        visit.candle(j, acts.get(j, 0))
