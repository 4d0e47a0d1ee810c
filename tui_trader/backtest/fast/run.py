"""One fast backtest: the strategy's decisions compiled over the whole column, the order
path in Decimal on the candles where money moves, the equity curve compiled again.

Between two such candles nothing changes that anything reads (the exact path calls
them quiet, backtest/quiet.py): the fast path visits only the candles with a signal, the
candle after an order (its fill), and a day's first candle when an entry later that day
needs the start-of-day equity (the daily loss check)."""

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tui_trader.backtest.column_cache import candle_columns
from tui_trader.backtest.columns import CandleColumns
from tui_trader.backtest.fast import kernels
from tui_trader.backtest.fast.ledger import ZERO, Account
from tui_trader.backtest.fast.orders import OrderPath
from tui_trader.backtest.fast.subset import decide, unsupported
from tui_trader.backtest.quiet import MARGIN
from tui_trader.backtest.fast.result import curve, result
from tui_trader.backtest.results import BacktestResult, BacktestSpec
from tui_trader.backtest.runner import BacktestRun
from tui_trader.clock import dt_to_ms
from tui_trader.config import Settings
from tui_trader.market.pacing import interval_seconds
from tui_trader.strategies.base import US_PER_DAY
from tui_trader.strategies.registry import create_strategy

OPEN, CLOSE = 0, 3  # the columns


@dataclass(frozen=True, slots=True)
class FastOutcome:
    result: BacktestResult | None  # None: outside the subset, `reason` says why
    reason: str = ""


class Visit:
    """The candles a fast run visits, in order, with the account as it stands."""

    def __init__(self, settings: Settings, columns: CandleColumns, start: int) -> None:
        self.columns, self.start = columns, start
        self.account = Account(settings.paper_quote_balance)
        self.path = OrderPath(settings, columns.symbol, self.account)
        self.shift = columns.step_us - 1000
        self.day = -1
        # the curve's segments: from candle starts[k] on, equity = flats[k] + units[k] × close
        self.starts, self.flats, self.units = [0], [float(self.account.cash)], [0.0]
        self.exposed = [False]

    def candle(self, j: int, action: int, close_day: int, first_of_day: int) -> None:
        """SyncTrader.on_candle's order of events on candle j (relative to `start`)."""
        columns, account, path, at = self.columns, self.account, self.path, self.start + j
        new_day = close_day != self.day
        if new_day and first_of_day < j:  # the day began on a candle with no event
            path.day_start = account.equity(columns.decimal(CLOSE, self.start + first_of_day))
        price: Decimal | None = None
        pending = path.pending
        if pending is not None and pending.at + 1 == j:
            price = path.settle(columns.decimal(OPEN, at), columns.close_time(at))
            if price is not None:
                self.starts.append(j)
                self.flats.append(float(account.cash))
                self.units.append(float(account.base))
                self.exposed.append(bool(account.held))
        close = columns.decimal(CLOSE, at) if action or new_day else ZERO
        if new_day and first_of_day == j:  # the fill's own sample, else the close's
            path.day_start = account.equity(price if price is not None else close)
        self.day = close_day
        if action:
            now = columns.open_us[at] + self.shift
            path.on_signal(
                action == kernels.BUY, j, close, now, dt_to_ms(columns.open_time(at))
            )


def run_fast(settings: Settings, spec: BacktestSpec) -> FastOutcome:
    """The backtest of `spec` on the fast path, or why it runs on the exact path."""
    why = unsupported(settings)
    if why:
        return FastOutcome(None, why)
    step_us = interval_seconds(settings.candle_interval) * 1_000_000
    columns = candle_columns(spec.data, spec.symbol, settings.candle_interval, step_us, spec.cache)
    if columns is None:
        return FastOutcome(None, "the file cannot be read as columns (the exact path says why)")
    frame = BacktestRun(settings, spec)  # the range, gaps and dropped rows, as reported
    start, stop = frame.candle_range(columns)
    frame.report_feed(columns, stop)
    open_us = np.frombuffer(columns.open_us, np.int64)[start:stop]
    close = np.frombuffer(columns.floats[CLOSE], np.float64)[start:stop]
    close_day = (open_us + (step_us - 1000)) // US_PER_DAY
    reach = int(kernels.breaker_reach(close, close_day, float(settings.circuit_breaker_pct),
                                      MARGIN))  # fmt: skip
    if reach >= 0:
        at = columns.close_time(start + reach)
        return FastOutcome(None, f"the circuit breaker may trip at {at:%Y-%m-%d %H:%M}")
    strategy = create_strategy(settings.strategy, spec.symbol, settings.strategy_params)
    actions = decide(strategy, close)
    visit = Visit(settings, columns, start)
    signals: list[int] = np.flatnonzero(actions).tolist()
    firsts: list[int] = np.searchsorted(close_day, close_day[signals]).tolist()
    for i, first in zip(signals, firsts, strict=True):
        _fill_before(visit, close_day, i)
        visit.candle(i, int(actions[i]), int(close_day[i]), first)
    _fill_before(visit, close_day, len(close))
    visit.path.counts.signals = len(signals)
    visit.path.counts.candles = stop - start
    last = columns.decimal(CLOSE, stop - 1) if stop > start else ZERO
    samples = curve(visit, open_us, close)
    return FastOutcome(result(settings, spec, frame, visit, samples, last, strategy.params))


def _fill_before(visit: Visit, close_day: npt.NDArray[np.int64], index: int) -> None:
    """The candle that fills a pending order, when it comes before candle `index` (a
    candle with a signal of its own settles it itself)."""
    pending = visit.path.pending
    if pending is None or pending.at + 1 >= index:
        return
    fill = pending.at + 1
    day = close_day[fill]
    visit.candle(fill, 0, int(day), int(np.searchsorted(close_day, day)))
