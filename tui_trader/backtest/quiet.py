"""Candles from columns through the live code, which runs only where something can happen.

The strategy is asked on every candle (`Strategy.on_bar`: its indicators need each one,
and it decides on exactly the numbers `on_candle` would give it). A candle is QUIET, and
the rest of the live code skips it, when all of these hold; then that code would have
changed nothing that any later decision, count or equity sample reads:
- the strategy says HOLD: no intent;
- no order is open (nothing to match at the paper exchange, no entry to expire);
- the candle begins no UTC day, by its open or its close time (the market state's day
  open, the circuit breaker's previous close and the start-of-day equity roll over on
  the day's first candle);
- the circuit breaker is not tripped and the close is clearly inside its band around
  the previous close (float bounds with a 1e-9 relative margin: the Decimal check
  cannot answer differently), so it neither trips nor records an event.
What a quiet candle does leave behind is the latest price, which the next live candle
overwrites before anything reads it, except for the circuit breaker's last price of the
day: the live candle after a quiet one first shows the breaker that quiet close
(`CircuitBreaker.observe`, which then provably returns no event). The equity sample of a
quiet candle is the runner's float formula at its close, as for any candle.
Left behind on purpose: the market state's 60-close sparkline misses quiet closes (the
screen's, never read by a backtest) and `TradingCore.last_signals` keeps the last live
candle's signal.

A strategy that needs the Candle itself (`decides_on_bars` False) gets every candle
through the whole live code, built from the columns."""

from collections.abc import Callable
from typing import Protocol

from tui_trader.backtest.columns import CandleColumns
from tui_trader.backtest.shell import SyncTrader
from tui_trader.domain.enums import SignalAction
from tui_trader.domain.market import Candle
from tui_trader.domain.orders import Signal
from tui_trader.strategies.base import US_PER_DAY

PROGRESS_EVERY = 8192  # candles between progress callbacks
Progress = Callable[[int], None]
CLOSE = 3  # the close's column
MARGIN = 1e-9  # relative: float rounding is ~1e-16, the Decimal context's ~1e-27
HOLD = SignalAction.HOLD


class Runner(Protocol):
    """What the loop drives: BacktestRun."""

    trader: SyncTrader

    def on_candle(self, candle: Candle, signal: Signal | None = None) -> None: ...

    def sample(self, close_ms: int, close: float) -> None: ...


def close_ms(columns: CandleColumns, index: int) -> int:
    """`dt_to_ms(candle.close_time)` without the datetime: timestamp() is the correctly
    rounded µs / 10⁶, and so is this division."""
    return int((columns.open_us[index] + columns.step_us - 1000) / 1_000_000 * 1000)


class QuietGuard:
    """Which candles may skip the live code (see the module docstring)."""

    def __init__(self, trader: SyncTrader, columns: CandleColumns) -> None:
        self._trader = trader
        self._columns = columns
        self._symbol = columns.symbol
        self._close_shift = columns.step_us - 1000
        self._open_day = self._close_day = -1
        self._low, self._high = 0.0, 0.0  # the breaker's band: empty until refreshed
        self._busy = True  # an open order or a tripped breaker: every candle is live
        self._skipped: int | None = None  # the last quiet candle

    def quiet(self, index: int, open_us: int, close: float) -> bool:
        if (
            self._busy
            or open_us // US_PER_DAY != self._open_day
            or (open_us + self._close_shift) // US_PER_DAY != self._close_day
            or not self._low < close < self._high
        ):
            return False
        self._skipped = index
        return True

    def catch_up(self, index: int) -> None:
        """Before live candle `index`: the breaker sees the quiet close before it."""
        if self._skipped is None or self._skipped != index - 1:
            return
        columns = self._columns
        price, at = columns.decimal(CLOSE, index - 1), columns.close_time(index - 1)
        if self._trader.core.parts.breaker.observe(self._symbol, price, at) is not None:
            raise AssertionError(f"a quiet candle moved the circuit breaker at {at}")

    def refresh(self, index: int) -> None:
        """After live candle `index`: its days, open orders and the breaker's band."""
        open_us = self._columns.open_us[index]
        self._open_day = open_us // US_PER_DAY
        self._close_day = (open_us + self._close_shift) // US_PER_DAY
        parts = self._trader.core.parts
        breaker, symbol = parts.breaker, self._symbol
        self._busy = (
            self._trader.exchange.has_open(symbol)
            or bool(parts.orders.open_for(symbol))
            or symbol in breaker.tripped
        )
        previous = breaker.previous_close(symbol)
        if previous is None:  # nothing to compare with: the breaker cannot trip
            self._low, self._high = float("-inf"), float("inf")
            return
        reach = float(previous) * float(breaker.pct) / 100 * (1 - MARGIN)
        self._low, self._high = float(previous) - reach, float(previous) + reach


def replay_columns(
    run: Runner, columns: CandleColumns, start: int, stop: int, progress: Progress | None
) -> int:
    """Candles [start, stop) of `columns` through `run`; returns how many were quiet."""
    strategy = run.trader.core.parts.strategies[columns.symbol]
    quiet = 0
    if not strategy.decides_on_bars:
        for count, index in enumerate(range(start, stop), start=1):
            run.on_candle(columns.candle(index))
            if progress is not None and not count % PROGRESS_EVERY:
                progress(count)
    else:
        quiet = _replay_bars(run, columns, start, stop, progress)
    if progress is not None:
        progress(stop - start)
    return quiet


def _replay_bars(
    run: Runner, columns: CandleColumns, start: int, stop: int, progress: Progress | None
) -> int:
    guard = QuietGuard(run.trader, columns)
    strategy = run.trader.core.parts.strategies[columns.symbol]
    on_bar, signal = strategy.on_bar, strategy.signal
    quiet, sample, skipped = guard.quiet, run.sample, 0
    for index, bar in enumerate(columns.bars(start, stop), start):
        decision = on_bar(bar)
        if decision[0] is HOLD and quiet(index, bar.open_us, bar.close):
            sample(close_ms(columns, index), bar.close)
            skipped += 1
        else:
            guard.catch_up(index)
            candle = columns.candle(index)
            run.on_candle(candle, signal(candle, *decision))
            guard.refresh(index)
        if progress is not None and not (index - start + 1) % PROGRESS_EVERY:
            progress(index - start + 1)
    return skipped
