"""Pair fills into round trips per symbol, first in first out.

A fill on the side opposite to the open lots closes them oldest first (splitting lots
and fills as needed); any rest opens a new lot. Longs (BUY entries) and futures shorts
(SELL entries) are both handled. Fees count when paid in the quote asset, or in the base
asset (converted at the fill price); fees paid in a third asset (BNB) are left out."""

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tui_trader.domain import Fill, Side


@dataclass(frozen=True, slots=True)
class RoundTrip:
    symbol: str
    side: Side  # side of the entry: BUY = long, SELL = short
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime
    exit_price: Decimal
    quantity: Decimal
    fees: Decimal  # in the quote asset, entry and exit share of this quantity

    @property
    def gross_pnl(self) -> Decimal:
        move = self.exit_price - self.entry_price
        return move * self.quantity if self.side is Side.BUY else -move * self.quantity

    @property
    def pnl(self) -> Decimal:
        return self.gross_pnl - self.fees

    @property
    def pnl_pct(self) -> Decimal:
        cost = self.entry_price * self.quantity
        return self.pnl / cost * 100 if cost else Decimal(0)

    @property
    def holding(self) -> timedelta:
        return self.exit_time - self.entry_time


@dataclass(slots=True)
class _Lot:
    """An unmatched part of a fill, with the share of its fee not yet allocated."""

    side: Side
    quantity: Decimal
    price: Decimal
    ts: datetime
    fee: Decimal

    def take(self, qty: Decimal) -> Decimal:
        """Remove `qty`; returns its fee share (all that is left when fully taken, so the
        shares add up to the fee exactly)."""
        share = self.fee if qty == self.quantity else self.fee * qty / self.quantity
        self.quantity -= qty
        self.fee -= share
        return share


def quote_fee(fill: Fill) -> Decimal:
    asset = fill.fee_asset
    if not asset or asset == fill.symbol:
        return Decimal(0)
    if fill.symbol.endswith(asset):
        return fill.fee
    if fill.symbol.startswith(asset):
        return fill.fee * fill.price
    return Decimal(0)


def pair_round_trips(fills: Iterable[Fill]) -> list[RoundTrip]:
    """Round trips in the order they were closed."""
    books: dict[str, deque[_Lot]] = {}
    trips: list[RoundTrip] = []
    for fill in sorted(fills, key=lambda f: f.ts):
        if fill.quantity <= 0:
            continue
        lots = books.setdefault(fill.symbol, deque())
        incoming = _Lot(fill.side, fill.quantity, fill.price, fill.ts, quote_fee(fill))
        while incoming.quantity > 0 and lots and lots[0].side is not fill.side:
            lot = lots[0]
            qty = min(lot.quantity, incoming.quantity)
            fees = lot.take(qty) + incoming.take(qty)
            trips.append(
                RoundTrip(fill.symbol, lot.side, lot.ts, lot.price, fill.ts, fill.price, qty, fees)
            )
            if lot.quantity == 0:
                lots.popleft()
        if incoming.quantity > 0:
            lots.append(incoming)
    return trips
