"""What the broker itself knows of today's day trades on Alpaca, added to the count the
account reported when it was last read (order_rules.DayTrades has the rule).

A day is New York's trading day. The trader holds stocks long only (spot), so a buy
opens and a sell closes: a sell of a symbol bought today is a day trade, counted once
per selling order (one order selling in several executions is one day trade; two
orders selling what one buy opened count twice, which may be one more than FINRA
counts, never one less).
"""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tui_trader.alpaca.order_rules import DayTrades
from tui_trader.domain.enums import Side
from tui_trader.domain.orders import Fill

NEW_YORK = ZoneInfo("America/New_York")


class DayTradeBook:
    def __init__(self) -> None:
        self._day = ""
        self._opened: set[tuple[str, Side]] = set()
        self._closing_orders: set[str] = set()  # our orders counted as a day trade
        self._reported = 0  # the account's daytrade_count at its last read
        self._since_read = 0  # day trades we made since that read
        self._margin, self._equity = False, Decimal(0)

    def account_read(self, count: int, margin: bool, equity: Decimal) -> None:
        self._reported, self._since_read = count, 0
        self._margin, self._equity = margin, equity

    def on_fill(self, fill: Fill) -> None:
        self._roll(fill.ts)
        if fill.side is Side.BUY:
            self._opened.add((fill.symbol, Side.BUY))
            return
        closing = (fill.symbol, Side.BUY) in self._opened
        if closing and fill.client_order_id not in self._closing_orders:
            self._closing_orders.add(fill.client_order_id)
            self._since_read += 1

    def standing(self, now: datetime) -> DayTrades:
        self._roll(now)
        count = self._reported + self._since_read
        return DayTrades(self._margin, self._equity, count, frozenset(self._opened))

    def _roll(self, moment: datetime) -> None:
        day = moment.astimezone(NEW_YORK).date().isoformat()
        if day != self._day:
            self._day = day
            self._opened.clear()
            self._closing_orders.clear()
