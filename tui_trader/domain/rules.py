"""Exchange trading rules per symbol (Binance filters), applied in Decimal."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation

from tui_trader.domain.enums import Side


def _floor_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def _ceil_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


@dataclass(frozen=True, slots=True)
class SymbolRules:
    symbol: str
    tick_size: Decimal = Decimal("0.01")
    step_size: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    max_qty: Decimal = Decimal("9000")
    min_notional: Decimal = Decimal("5")
    max_notional: Decimal | None = None
    min_price: Decimal = Decimal(0)
    max_price: Decimal | None = None

    def round_qty(self, qty: Decimal) -> Decimal:
        """Quantities always round down: never trade more than asked."""
        return _floor_to(qty, self.step_size).normalize() if qty > 0 else Decimal(0)

    def round_price(self, price: Decimal, side: Side) -> Decimal:
        """Round to the tick in the direction that keeps a limit at most as aggressive
        as asked: buys down, sells up."""
        rounded = (
            _floor_to(price, self.tick_size)
            if side is Side.BUY
            else _ceil_to(price, self.tick_size)
        )
        return rounded.normalize()

    def violations(self, qty: Decimal, price: Decimal) -> list[str]:
        """Every filter `qty` at `price` breaks, as Binance names them, with the numbers."""
        try:
            return self._violations(qty, price)
        except InvalidOperation:  # absurd magnitudes: refuse, never crash
            return [f"PRICE_FILTER: numbers out of range (qty {qty}, price {price})"]

    def _violations(self, qty: Decimal, price: Decimal) -> list[str]:
        found: list[str] = []
        if price <= 0 or price < self.min_price or (self.max_price and price > self.max_price):
            bounds = f"[{self.min_price}, {self.max_price}]"
            found.append(f"PRICE_FILTER: price {price} outside {bounds}")
        elif price % self.tick_size != 0:
            found.append(f"PRICE_FILTER: price {price} is not a multiple of tick {self.tick_size}")
        if qty < self.min_qty or qty > self.max_qty:
            found.append(f"LOT_SIZE: quantity {qty} outside [{self.min_qty}, {self.max_qty}]")
        elif qty % self.step_size != 0:
            found.append(f"LOT_SIZE: quantity {qty} is not a multiple of step {self.step_size}")
        notional = qty * price
        if notional < self.min_notional:
            found.append(f"NOTIONAL: {notional} below minimum {self.min_notional}")
        if self.max_notional is not None and notional > self.max_notional:
            found.append(f"NOTIONAL: {notional} above maximum {self.max_notional}")
        return found
