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
day: a live candle that begins a new UTC day after a quiet one first shows the breaker
that quiet close, the day's last price and so the next day's previous close
(`CircuitBreaker.observe`, which then provably returns no event). Within the day the
live candle's own close replaces it before anything reads it. The equity sample of a
quiet candle is the runner's float formula at its close, as for any candle.
Left behind on purpose: the market state's 60-close sparkline misses quiet closes (the
screen's, never read by a backtest) and `TradingCore.last_signals` keeps the last live
candle's signal.

A strategy that needs the Candle itself (`decides_on_bars` False) gets every candle
through the whole live code, built from the columns."""

from collections.abc import Callable
from typing import Protocol

from tui_trader.backtest.columns import CandleColumns
from tui_trader.backtest.results import EquityCurve
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
NEVER = -(2**63)  # a horizon no open time is before: every candle is live


class Runner(Protocol):
    """What the loop drives: BacktestRun."""

    trader: SyncTrader
    curve: EquityCurve

    def on_candle(self, candle: Candle, signal: Signal | None = None) -> None: ...

    def equity_line(self) -> tuple[float, float, bool]: ...


class QuietGuard:
    """Which candles may skip the live code (see the module docstring), as three numbers
    the loop compares each candle with: quiet while its open time is before `horizon`
    (the same UTC day, by open and by close time, as the last live candle) and its close
    is strictly inside the breaker's band (`low`, `high`)."""

    def __init__(self, trader: SyncTrader, columns: CandleColumns) -> None:
        self._trader = trader
        self._columns = columns
        self._symbol = columns.symbol
        self._close_shift = columns.step_us - 1000

    def catch_up(self, index: int) -> None:
        """Before live candle `index`, which begins a new UTC day after a quiet candle:
        the breaker sees that quiet close, the last price of the day before."""
        columns = self._columns
        price, at = columns.decimal(CLOSE, index - 1), columns.close_time(index - 1)
        if self._trader.core.parts.breaker.observe(self._symbol, price, at) is not None:
            raise AssertionError(f"a quiet candle moved the circuit breaker at {at}")

    def limits(self, index: int) -> tuple[int, float, float]:
        """After live candle `index`: (horizon, low, high) for the candles after it."""
        parts, symbol = self._trader.core.parts, self._symbol
        breaker = parts.breaker
        if (
            self._trader.exchange.has_open(symbol)
            or parts.orders.open_for(symbol)
            or symbol in breaker.tripped
        ):
            return NEVER, 0.0, 0.0  # an order to match or expire, a tripped breaker
        open_us = self._columns.open_us[index]
        next_open_day = (open_us // US_PER_DAY + 1) * US_PER_DAY
        next_close_day = ((open_us + self._close_shift) // US_PER_DAY + 1) * US_PER_DAY
        horizon = min(next_open_day, next_close_day - self._close_shift)
        previous = breaker.previous_close(symbol)
        if previous is None:  # nothing to compare with: the breaker cannot trip
            return horizon, float("-inf"), float("inf")
        reach = float(previous) * float(breaker.pct) / 100 * (1 - MARGIN)
        return horizon, float(previous) - reach, float(previous) + reach


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
    """The loop, tight: on a quiet candle the strategy's decision and the equity sample
    are all that happen, with no call beyond the strategy's."""
    guard = QuietGuard(run.trader, columns)
    strategy = run.trader.core.parts.strategies[columns.symbol]
    on_bar, signal = strategy.on_bar, strategy.signal
    curve = run.curve
    add_time, add_equity, add_exposed = (
        curve.times_ms.append,
        curve.equity.append,
        curve.exposed.append,
    )
    shift = columns.step_us - 1000
    horizon, low, high = NEVER, 0.0, 0.0  # the first candle is live
    flat, units, exposed = run.equity_line()
    skipped, last_quiet, countdown = 0, start - 2, PROGRESS_EVERY
    for index, bar in enumerate(columns.bars(start, stop), start):
        decision = on_bar(bar)
        close = bar.close
        if bar.open_us < horizon and low < close < high and decision[0] is HOLD:
            # BacktestRun.sample, inlined: the close time in ms as dt_to_ms computes it
            # (timestamp() is the correctly rounded µs / 10⁶, and so is this division).
            add_time(int((bar.open_us + shift) / 1_000_000 * 1000))
            add_equity(flat + units * close)
            add_exposed(exposed)
            skipped, last_quiet = skipped + 1, index
        else:
            if last_quiet == index - 1 and bar.open_us >= horizon:
                guard.catch_up(index)
            candle = columns.candle(index)
            run.on_candle(candle, signal(candle, *decision))
            flat, units, exposed = run.equity_line()
            horizon, low, high = guard.limits(index)
        countdown -= 1
        if not countdown:
            countdown = PROGRESS_EVERY
            if progress is not None:
                progress(index - start + 1)
    return skipped
