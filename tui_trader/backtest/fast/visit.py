"""The candles a fast run visits, in the exact path's order of events on each: the fill
of the order placed on the candle before, the start-of-day equity, the signal."""

from bisect import bisect_right
from decimal import Decimal

from tui_trader.backtest.fast import kernels
from tui_trader.backtest.fast.book import Resting
from tui_trader.backtest.fast.breaker import Breaker
from tui_trader.backtest.fast.ledger import ZERO, Account
from tui_trader.backtest.fast.orders import OrderPath
from tui_trader.backtest.fast.source import CLOSE, HIGH, LOW, OPEN, VOLUME, Source
from tui_trader.config import Settings
from tui_trader.domain.orders import Fill


class Visit:
    """The candles a fast run visits, in order, with the account as it stands. `days`:
    the candles (relative to `start`) that begin a UTC day by their close time."""

    def __init__(
        self, settings: Settings, source: Source, start: int, days: list[int], breaker: Breaker
    ) -> None:
        self.source, self.start, self.days, self.breaker = source, start, days, breaker
        self.account = Account(settings.paper_quote_balance)
        self.path = OrderPath(settings, source.columns.symbol, self.account)
        self.shift = source.columns.step_us - 1000
        self._day_ends = -1  # the candle that begins the next day: a visit there is new
        # the curve's segments: from candle starts[k] on, equity = flats[k] + units[k] × close
        self.starts, self.flats, self.units = [0], [float(self.account.cash)], [0.0]
        self.exposed = [False]
        self._day_begins, self._filled = False, False  # on the candle being matched

    def candle(self, j: int, action: int) -> None:
        """SyncTrader.on_candle's order of events on candle j (relative to `start`): the
        exchange matches, the day may begin (its start-of-day equity), the strategy's
        signal, the TTL cancels and the intent."""
        source, account, path, at = self.source, self.account, self.path, self.start + j
        first = self._first_of_new_day(j)
        if 0 <= first < j:  # the day began on a candle with no event: its close's equity
            path.day_start = account.equity(source.decimal(CLOSE, self.start + first))
        self._day_begins, self._filled = first == j, False
        if path.book.orders:
            self._match(at)
        if self._day_begins and not self._filled:
            path.day_start = account.equity(source.decimal(CLOSE, at))
        open_us = source.open_us(at)
        now = open_us + self.shift
        if action:
            # dt_to_ms(open time), as quiet.py computes close times: timestamp() is the
            # correctly rounded µs / 10⁶, and so is this division.
            open_ms = int(open_us / 1_000_000 * 1000)
            tripped = self.breaker.tripped_after(j)
            path.on_signal(action == kernels.BUY, source.decimal(CLOSE, at), now, open_ms, tripped)
        elif path.book.orders:
            path.cancel_stale(now)

    def _first_of_new_day(self, j: int) -> int:
        """The candle that began candle j's day when j is the first visit in it, else -1."""
        if j < self._day_ends:
            return -1
        days = self.days
        index = bisect_right(days, j)
        self._day_ends = days[index] if index < len(days) else 1 << 62
        return days[index - 1]

    def _match(self, at: int) -> None:
        """The exchange's matching on candle `at`; BacktestRun._rebase after fills."""
        source, account, path = self.source, self.account, self.path
        prices: tuple[Decimal, ...]
        if path.market:  # MARKET orders fill at the open whatever the rest (not loaded)
            prices = (ZERO, ZERO, ZERO, source.decimal(OPEN, at))
        else:
            prices = tuple(source.decimal(k, at) for k in (VOLUME, LOW, HIGH, OPEN))
        path.book.match(path.share, prices, path.slip, source.close_time(at), self._on_fill)
        if self._filled:  # the curve's line from this candle on
            self.starts.append(at - self.start)
            self.flats.append(float(account.cash))
            self.units.append(float(account.base))
            self.exposed.append(bool(account.held))

    def _on_fill(self, _order: Resting, fill: Fill) -> None:
        """TradingCore.on_fill's account sample: a day begun by this candle starts with
        the equity after its first fill, marked at that fill's price."""
        if self._day_begins and not self._filled:
            self.path.day_start = self.account.equity(fill.price)
        self._filled = True
