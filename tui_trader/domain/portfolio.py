"""Balances and positions (long-only on spot; signed quantity on futures)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    free: Decimal
    locked: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class FundingFee:
    """A USD-M funding settlement on the wallet: negative when paid, positive when
    received. `ref` is Binance's id of the settlement (the income record's tranId): the
    same settlement seen twice (stream and REST, or after a restart) is booked once."""

    ts: datetime
    asset: str
    amount: Decimal
    symbol: str
    ref: str


@dataclass(frozen=True, slots=True)
class VenueFee:
    """A charge the venue books on the account apart from any fill: Alpaca's regulatory
    fees (SEC fee, FINRA TAF) on sales, which come as account activities, not on the
    fill. Negative when charged. `ref` is the venue's id of the activity: seen twice (a
    reconciliation and a restart), booked once. `kind` is the venue's own description."""

    ts: datetime
    asset: str
    amount: Decimal
    symbol: str
    ref: str
    kind: str


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    quantity: Decimal  # > 0 long, < 0 short (futures), 0 flat
    average_entry: Decimal
    opened_at: datetime | None = None
    realized_pnl: Decimal = Decimal(0)
    fees_paid: Decimal = Decimal(0)
    mark_price: Decimal = Decimal(0)
    leverage: int = 1
    liquidation_price: Decimal | None = None

    @property
    def is_open(self) -> bool:
        return self.quantity != 0

    @property
    def unrealized_pnl(self) -> Decimal:
        if self.quantity == 0 or self.mark_price == 0:
            return Decimal(0)
        return (self.mark_price - self.average_entry) * self.quantity

    @property
    def unrealized_pct(self) -> Decimal:
        cost = abs(self.average_entry * self.quantity)
        return self.unrealized_pnl / cost * 100 if cost else Decimal(0)
