"""The candles a fast run visits, in the exact path's order of events on each: the fill
of the order placed on the candle before, the start-of-day equity, the signal."""

from tui_trader.backtest.columns import CandleColumns
from tui_trader.backtest.fast import kernels
from tui_trader.backtest.fast.book import Resting
from tui_trader.backtest.fast.ledger import ZERO, Account
from tui_trader.backtest.fast.orders import OrderPath
from tui_trader.clock import dt_to_ms
from tui_trader.config import Settings
from tui_trader.domain.orders import Fill

OPEN, HIGH, LOW, CLOSE, VOLUME = range(5)  # the columns


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
        """SyncTrader.on_candle's order of events on candle j (relative to `start`): the
        exchange matches, the day may begin (its start-of-day equity), the strategy's
        signal, the TTL cancels and the intent."""
        columns, account, path, at = self.columns, self.account, self.path, self.start + j
        new_day = close_day != self.day
        if new_day and first_of_day < j:  # the day began on a candle with no event
            path.day_start = account.equity(columns.decimal(CLOSE, self.start + first_of_day))
        fills: list[Fill] = []
        if path.book.orders:
            fills = self._match(at, new_day and first_of_day == j)
        close = columns.decimal(CLOSE, at)
        if new_day and first_of_day == j and not fills:
            path.day_start = account.equity(close)
        self.day = close_day
        now = columns.open_us[at] + self.shift
        if action:
            path.on_signal(action == kernels.BUY, close, now, dt_to_ms(columns.open_time(at)))
        elif path.book.orders:
            path.cancel_stale(now)

    def _match(self, at: int, day_begins: bool) -> list[Fill]:
        """The exchange's matching on candle `at`; the account sampled after its first fill
        when the day begins with it (TradingCore.on_fill → track_account)."""
        columns, account, path = self.columns, self.account, self.path
        fills: list[Fill] = []

        def filled(_order: Resting, fill: Fill) -> None:
            if day_begins and not fills:
                path.day_start = account.equity(fill.price)
            fills.append(fill)

        # MARKET orders fill at the open whatever the rest (the run loaded no more).
        wanted = (OPEN,) if path.market else (VOLUME, LOW, HIGH, OPEN)
        prices = (ZERO, ZERO, ZERO)[: 4 - len(wanted)] + tuple(
            columns.decimal(k, at) for k in wanted
        )
        path.book.match(path.share, prices, path.slip, columns.close_time(at), filled)
        if fills:  # BacktestRun._rebase: the curve's line from this candle on
            self.starts.append(at - self.start)
            self.flats.append(float(account.cash))
            self.units.append(float(account.base))
            self.exposed.append(bool(account.held))
        return fills
