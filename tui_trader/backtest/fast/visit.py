"""The candles a fast run visits, in the exact path's order of events on each: the fill
of the order placed on the candle before, the start-of-day equity, the signal."""

from decimal import Decimal

from tui_trader.backtest.columns import CandleColumns
from tui_trader.backtest.fast import kernels
from tui_trader.backtest.fast.ledger import ZERO, Account
from tui_trader.backtest.fast.orders import OrderPath
from tui_trader.clock import dt_to_ms
from tui_trader.config import Settings

OPEN, CLOSE = 0, 3  # the columns


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
            path.on_signal(action == kernels.BUY, j, close, now, dt_to_ms(columns.open_time(at)))
