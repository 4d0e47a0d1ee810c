"""The account of a fast run: the spot balances, position, fees and fills, booked in
Decimal exactly as `Portfolio.apply_fill` (core/ledger.py) and the paper exchange
(brokers/paper_exchange.py) book a quote-fee fill, operation for operation, so every
figure is the same Decimal, digits and all."""

from dataclasses import dataclass, field
from decimal import Decimal

from tui_trader.domain.enums import Side
from tui_trader.domain.orders import Fill

ZERO = Decimal(0)


@dataclass(slots=True)
class Account:
    cash: Decimal
    base: Decimal = ZERO  # the base asset's balance
    held: Decimal = ZERO  # the position's quantity (the base bought, fees being in quote)
    fees: Decimal = ZERO
    fills: list[Fill] = field(default_factory=list)

    def equity(self, mark: Decimal) -> Decimal:
        """Portfolio.equity on spot: cash plus the base balance at its mark."""
        return self.cash + (ZERO + self.base * mark)

    def book(self, fill: Fill) -> None:
        """Portfolio._book_spot and _next_position for a fill whose fee is in quote."""
        quote_fee = fill.fee - ZERO
        if fill.side is Side.BUY:
            self.cash = self.cash + -(fill.notional + quote_fee)
            self.base = self.base + (fill.quantity - ZERO)
            self.held = self.held + (fill.quantity - ZERO)
        else:
            self.cash = self.cash + (fill.notional - quote_fee)
            self.base = self.base + -(fill.quantity + ZERO)
            self.held = self.held + -min(fill.quantity + ZERO, self.held)
        self.fees = self.fees + fill.fee
        self.fills.append(fill)
