"""Upbit's order rules as the paper broker's SymbolRules.

Price unit: Upbit's KRW units depend on the price (1,000 won above 2,000,000, 500 from
1,000,000, 100 from 500,000, ... down to fractions of a won for cheap coins). Our rules
hold one tick per symbol, so we take the unit Upbit states for the pair now
(`/v1/orderbook/instruments` → `tick_size`), i.e. the unit of the current price band.
Every band's unit divides the units of the bands above it, so prices on this tick stay
valid when the price falls into a finer band; only a rise into a coarser band during the
run would need the price-dependent table. That table comes with Upbit orders (where a
wrong unit is refused by the venue); for paper fills on Upbit's prices the unit at
start is the honest one, and a restart picks up the new band.

Minimum order value: 5,000 KRW on the KRW market (0.00005 BTC on BTC, 0.5 USDT on
USDT); at most 1,000,000,000 KRW per order. Quantities: 8 decimal places (Upbit's
volume precision), so the step is 0.00000001 and the minimum one step."""

from decimal import Decimal

from tui_trader.domain.rules import SymbolRules

STEP = Decimal("0.00000001")
MIN_ORDER_VALUE = {"KRW": Decimal(5000), "BTC": Decimal("0.00005"), "USDT": Decimal("0.5")}
MAX_ORDER_VALUE = {"KRW": Decimal(1_000_000_000)}
MAX_QTY = Decimal("1e12")  # no quantity cap of its own: the order value bounds it


def upbit_rules(symbol: str, quote: str, tick_size: Decimal) -> SymbolRules:
    return SymbolRules(
        symbol,
        tick_size=tick_size,
        step_size=STEP,
        min_qty=STEP,
        max_qty=MAX_QTY,
        min_notional=MIN_ORDER_VALUE[quote],
        max_notional=MAX_ORDER_VALUE.get(quote),
    )
