"""The backtest runner: candles from a CSV file through the live trading code, synchronously.

What runs is what trades live: `runtime.core_parts.build_core` (market state → circuit breaker →
strategy → order intents), `OrderGate` (kill switch → idempotency → risk) and
a `PaperExchange` with `fill_on_candles=True`. `SyncTrader` (shell.py) does, without
awaits and without the journal, what `Trader.on_market_event` and
`ExecutionEngine.process` do for a replay feed whose engine drains after every candle (the
live trader at real speed: a minute between candles is ample for the engine); the
reactions to order updates, fills and refusals are the core's own, the same methods the
live trader calls. The volatility detector is off: its triggers feed only the live
advice link.

The file is read once into typed columns (columns.py), cached on disk by its content
(column_cache.py); the strategy is asked on every candle, and the rest of the live code
runs only on candles where something can happen (quiet.py says which and why). A file
the columns cannot hold, or with a row that does not parse (the stream then names its
line as it always did), is streamed candle by candle through the whole live code, as
`every_candle=True` does on purpose (the reference the parity tests compare with).

Fill semantics (the paper exchange's, documented there):
- A signal is made on the CLOSE of candle t. Its order reaches the exchange at t's close
  time, so the earliest it can fill is on candle t+1.
- MARKET orders (ALLOW_MARKET_ORDERS=true) fill in full at candle t+1's OPEN moved
  against the taker by SLIPPAGE_BPS (buys higher, sells lower).
- LIMIT orders (the default) are priced at t's close and fill at their own price on the
  first later candle that trades THROUGH it (low < limit for a buy, high > limit for a
  sell; touching is not enough), at most PARTIAL_FILL_SHARE of that candle's volume per
  candle. Entries not filled within ENTRY_ORDER_TTL_SEC are cancelled.
- Fees are notional × FEE_RATE in the quote asset. A fill's time is the close time of
  the candle that filled it.
- Protective exits (stop-loss, take-profit, trailing stop, maximum holding) are judged on
  ticks; a candle file has none, so in a backtest (as in a live replay) only strategy
  signals close positions.

Results are reproducible: nothing reads the wall clock or a random source, and the same
file, settings and parameters give the same fills bit for bit. Missing candles (gaps)
are not filled in: they are recorded (`BacktestResult.gaps`) and the run goes on; rows
that parse but are unusable (high < low...) are dropped and recorded. A row that does not
parse stops the run with `FeedError` naming the file and line.

The equity curve is marked to each candle's close. The core itself marks positions at
the close on candle-only data (as in a live replay), so the risk checks see the same
marked equity in a backtest and live.
"""

import itertools
from bisect import bisect_left
from collections.abc import Iterator
from datetime import datetime, timedelta

from tui_trader.backtest.column_cache import candle_columns
from tui_trader.backtest.columns import EPOCH, CandleColumns, DroppedRow
from tui_trader.backtest.quiet import PROGRESS_EVERY, Progress, replay_columns
from tui_trader.backtest.results import (
    BacktestResult,
    BacktestSpec,
    EquityCurve,
    Gap,
    conditions,
)
from tui_trader.backtest.shell import SyncTrader
from tui_trader.clock import dt_to_ms
from tui_trader.config import Settings
from tui_trader.core.ledger import ZERO
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle
from tui_trader.domain.orders import Signal
from tui_trader.journal.trades import pair_round_trips
from tui_trader.market.pacing import interval_seconds
from tui_trader.market.replay import read_candles

_MICROSECOND = timedelta(microseconds=1)


class BacktestRun:
    """One backtest: build once, `run()` once."""

    def __init__(
        self, settings: Settings, spec: BacktestSpec, *, every_candle: bool = False
    ) -> None:
        self.every_candle = every_candle
        self.quiet = 0  # candles the live code skipped (nothing could happen on them)
        self.settings = settings
        self.spec = spec
        self.trader = SyncTrader(settings, spec.symbol)
        self.curve = EquityCurve()
        self.gaps: list[Gap] = []
        self.dropped: list[str] = []
        self._spot = settings.market_type is MarketKind.SPOT
        self._base = settings.base_asset(spec.symbol)
        self._exact = (settings.paper_quote_balance, ZERO)  # flat equity and units, Decimal
        self._flat_equity, self._units, self._exposed = float(self._exact[0]), 0.0, False
        self._last_close = ZERO

    # --- the loop -----------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> BacktestResult:
        columns = None if self.every_candle else self._columns()
        if columns is None:
            return self._stream(progress)
        start, stop = self.candle_range(columns)
        self.report_feed(columns.gaps, columns.dropped, stop)
        if stop > start:
            self.curve.start_ms = dt_to_ms(columns.open_time(start))
            self.quiet = replay_columns(self, columns, start, stop, progress)
            self._last_close = columns.decimal(3, stop - 1)
        elif progress is not None:
            progress(0)
        self.trader.counts.candles = stop - start
        return self._result()

    def _columns(self) -> CandleColumns | None:
        interval = self.settings.candle_interval
        try:
            step_us = interval_seconds(interval) * 1_000_000
        except ValueError:
            return None  # the stream reports it as it always did
        spec = self.spec
        return candle_columns(spec.data, spec.symbol, interval, step_us, spec.cache)

    def candle_range(self, columns: CandleColumns) -> tuple[int, int]:
        """Indexes of the first candle at or after `start` and of the first at or after
        `end`: what dropwhile/takewhile over the stream keep."""
        spec, times = self.spec, columns.open_us
        start = 0 if spec.start is None else bisect_left(times, to_micros(spec.start))
        stop = len(times) if spec.end is None else bisect_left(times, to_micros(spec.end))
        return start, max(start, stop)

    def report_feed(
        self, gaps: list[tuple[int, int, int]], dropped: list[DroppedRow], stop: int
    ) -> None:
        """The file's gaps and dropped rows (columns.py) as the stream reports them:
        reading stops once it has read the first candle past the range (candle `stop`)."""
        for after, before, missing in gaps:
            self._gap(_at(after), _at(before), missing)
        for row in dropped:
            if row.before <= stop:
                self.dropped.append(f"{row.message} ({self.spec.data}:{row.line})")

    def _stream(self, progress: Progress | None) -> BacktestResult:
        on_candle = self.on_candle
        count = 0
        last: Candle | None = None
        for count, candle in enumerate(self._candles(), start=1):
            if count == 1:
                self.curve.start_ms = dt_to_ms(candle.open_time)
            on_candle(candle)
            last = candle
            if progress is not None and not count % PROGRESS_EVERY:
                progress(count)
        if progress is not None:
            progress(count)
        if last is not None:
            self._last_close = last.close
        self.trader.counts.candles = count
        return self._result()

    def _candles(self) -> Iterator[Candle]:
        """The file's candles with open times in [start, end)."""
        spec = self.spec
        candles: Iterator[Candle] = read_candles(
            spec.data, spec.symbol, self.settings.candle_interval, self._bad_row, self._gap
        )
        start, end = spec.start, spec.end
        if start is not None:
            candles = itertools.dropwhile(lambda c: c.open_time < start, candles)
        if end is not None:
            candles = itertools.takewhile(lambda c: c.open_time < end, candles)
        return candles

    def on_candle(self, candle: Candle, signal: Signal | None = None) -> None:
        """The candle through the trading code (with its strategy's signal when the
        strategy was asked already), then its equity sample for the curve."""
        if self.trader.on_candle(candle, signal):
            self._rebase()
        self.sample(dt_to_ms(candle.close_time), float(candle.close))

    def sample(self, close_ms: int, close: float) -> None:
        """The equity sample of a candle closing at `close_ms` at price `close` (the
        column loop inlines it for quiet candles: quiet.py)."""
        curve = self.curve
        curve.times_ms.append(close_ms)
        curve.equity.append(self._flat_equity + self._units * close)
        curve.exposed.append(self._exposed)

    def equity_line(self) -> tuple[float, float, bool]:
        """(flat equity, units, exposed): equity at price p is flat + units × p."""
        return self._flat_equity, self._units, self._exposed

    def _rebase(self) -> None:
        """Equity at a price p is `_flat_equity + _units × p`: spot, cash plus the base
        balance at p; futures, the wallet plus (p − entry) × quantity. Kept in float for
        the per-candle curve, recomputed only when fills change it (see the docstring:
        the core's own portfolio is not marked)."""
        portfolio = self.trader.core.parts.portfolio
        held = portfolio.held(self.spec.symbol)
        if self._spot:
            units, flat = portfolio.balance(self._base), portfolio.cash
        else:
            entry = portfolio.position(self.spec.symbol).average_entry if held else ZERO
            units, flat = held, portfolio.cash - entry * held
        self._units, self._flat_equity, self._exposed = float(units), float(flat), bool(held)
        self._exact = (flat, units)

    # --- the feed's reports and the result ---------------------------------------------
    def _bad_row(self, event: SafetyEvent) -> None:
        self.dropped.append(event.message + _source(event))

    def _gap(self, after: datetime, before: datetime, missing: int) -> None:
        spec = self.spec
        if spec.start is not None and after < spec.start:
            return  # before the range: not part of this backtest
        if spec.end is not None and before >= spec.end:
            return
        self.gaps.append(Gap(after, before, missing))

    def _result(self) -> BacktestResult:
        trader = self.trader
        portfolio = trader.core.parts.portfolio
        return BacktestResult(
            symbol=self.spec.symbol,
            strategy=self.settings.strategy,
            params=dict(trader.core.parts.strategies[self.spec.symbol].params.model_dump()),
            interval=self.settings.candle_interval,
            conditions=conditions(self.settings),
            initial_equity=self.settings.paper_quote_balance,
            final_equity=self._exact[0] + self._exact[1] * self._last_close,
            fees_paid=portfolio.fees_paid,
            open_quantity=portfolio.held(self.spec.symbol) or ZERO,
            fills=trader.fills,
            trades=pair_round_trips(trader.fills),
            curve=self.curve,
            counts=trader.counts,
            gaps=self.gaps,
            dropped=self.dropped,
        )


def to_micros(when: datetime) -> int:
    return (when - EPOCH) // _MICROSECOND


def _at(micros: int) -> datetime:
    return EPOCH + micros * _MICROSECOND


def _source(event: SafetyEvent) -> str:
    source = event.data.get("source") if event.data else None
    return f" ({source})" if source else ""


def run_backtest(
    settings: Settings, spec: BacktestSpec, progress: Progress | None = None
) -> BacktestResult:
    """Replay `spec` through the live trading code under `settings` (strategy, its
    parameters, fees, slippage, risk limits). Raises FeedError for a file that cannot be
    read (naming the line) and StrategyParamError for bad strategy parameters."""
    return BacktestRun(settings, spec).run(progress)
