"""The orders resting at the paper exchange in a fast run, and their matching on each
candle (brokers/paper_exchange.py, `fill_on_candles`): MARKET orders fill in full at the
open slipped against the taker; LIMIT orders fill at their price on a candle that trades
through it, all of a candle's resting orders together at most `partial_fill_share` of its
volume in whole lot steps, oldest first; an order the funds no longer cover at its fill
price expires. Funds are locked per order as the exchange locks them. Decimal, with the
exchange's operations in its order."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.backtest.fast.ledger import ZERO, Account
from tui_trader.domain.enums import Side
from tui_trader.domain.orders import Fill


@dataclass(slots=True)
class Resting:
    cid: str
    side: Side
    quantity: Decimal
    limit: Decimal | None  # None: a MARKET order
    exit: bool  # a signal exit (not an entry: never expires by age)
    created_us: int
    asset: str  # what it locks
    per_unit: Decimal  # funds locked per unit
    lock: Decimal  # still locked
    filled: Decimal = ZERO
    trades: int = 0

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled


class Book:
    def __init__(
        self, account: Account, symbol: str, assets: tuple[str, str], fee_rate: Decimal,
        step: Decimal,
    ) -> None:  # fmt: skip
        self.account, self.symbol = account, symbol
        self.quote, self.base = assets
        self.fee_rate, self.step = fee_rate, step
        self.orders: list[Resting] = []  # oldest first
        self.locked: dict[str, Decimal] = {}

    def balance(self, asset: str) -> Decimal:
        return self.account.cash if asset == self.quote else self.account.base

    def held(self, asset: str) -> Decimal:
        return self.locked.get(asset, ZERO)

    def cost(self, side: Side, price: Decimal) -> tuple[str, Decimal]:
        """PaperExchange._cost on spot: what an order spends per unit, fee included."""
        if side is Side.SELL:
            return self.base, Decimal(1)
        return self.quote, price * (1 + self.fee_rate)

    def add(self, order: Resting) -> None:
        self.orders.append(order)
        self.locked[order.asset] = self.locked.get(order.asset, ZERO) + order.lock

    def release(self, order: Resting, quantity: Decimal | None) -> None:
        amount = order.lock if quantity is None else min(order.lock, quantity * order.per_unit)
        order.lock -= amount
        self.locked[order.asset] -= amount

    def close(self, order: Resting) -> None:
        """A final order leaves the book and frees what it still holds."""
        self.release(order, None)
        self.orders.remove(order)

    def match(
        self,
        share: Decimal,
        candle: tuple[Decimal, ...],
        slip: Decimal,
        ts: datetime,
        filled: Callable[[Resting, Fill], None],
    ) -> None:
        """PaperExchange.on_candle and _match: a candle's (volume, low, high, open), the
        open slipped against a MARKET order's taker; `filled(order, fill)` after each
        booked fill."""
        volume, low, high, open_ = candle
        capacity = share * volume
        for order in list(self.orders):
            if order.limit is None:
                buy = order.side is Side.BUY
                price = open_ * (1 + slip) if buy else open_ * (1 - slip)
                self._execute(order, order.remaining, price, ts, filled)
                continue
            limit = order.limit
            through = low < limit if order.side is Side.BUY else high > limit
            if through and capacity > 0:
                qty = (min(order.remaining, capacity) // self.step) * self.step
                if qty > 0:
                    capacity -= self._execute(order, qty, limit, ts, filled)

    def _execute(
        self,
        order: Resting,
        qty: Decimal,
        price: Decimal,
        ts: datetime,
        filled: Callable[[Resting, Fill], None],
    ) -> Decimal:
        """PaperExchange._execute: fill `qty` unless the funds fall short (the order then
        expires); a MARKET order never rests."""
        asset, per_unit = self.cost(order.side, price)
        available = self.balance(asset) - self.held(asset) + order.lock
        short = per_unit * qty > available
        if not short:
            order.trades += 1
            fill = Fill(
                client_order_id=order.cid, symbol=self.symbol, side=order.side,
                quantity=qty, price=price, fee=qty * price * self.fee_rate,
                fee_asset=self.quote, ts=ts, trade_id=f"{order.cid}-{order.trades}",
                is_maker=order.limit is not None,
            )  # fmt: skip
            self.release(order, qty)
            self.account.book(fill)
            order.filled += qty
            filled(order, fill)
        if order.filled == order.quantity or short or order.limit is None:
            self.close(order)
        return ZERO if short else qty
