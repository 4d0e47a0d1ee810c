"""US stock order rules (as Alpaca applies them) as the paper broker's SymbolRules.

Price increment: $0.01 at $1.00 and above, $0.0001 below (SEC Rule 612, which Alpaca
enforces: a sub-penny limit price on a stock above a dollar is refused). Our rules hold
one tick per symbol, so the tick of the price at start is taken; a cent tick stays valid
if the price falls below a dollar, and a restart picks up the finer one.

Quantity: Alpaca takes fractional quantities with up to 9 decimal places, so the step
is 0.000000001 and the minimum one step; a fractional order must be worth at least $1,
which is the minimum notional here (whole-share orders have no minimum at Alpaca, but
paper trading sizes by value and a sub-dollar stock order is noise)."""

from decimal import Decimal

from tui_trader.domain.rules import SymbolRules

STEP = Decimal("0.000000001")
CENT, SUB_PENNY = Decimal("0.01"), Decimal("0.0001")
MIN_NOTIONAL = Decimal(1)
MAX_QTY = Decimal("1e9")  # no cap of its own: buying power bounds it


def tick_for(price: Decimal | None) -> Decimal:
    return SUB_PENNY if price is not None and price < 1 else CENT


def stock_rules(symbol: str, last_price: Decimal | None) -> SymbolRules:
    return SymbolRules(
        symbol,
        tick_size=tick_for(last_price),
        step_size=STEP,
        min_qty=STEP,
        max_qty=MAX_QTY,
        min_notional=MIN_NOTIONAL,
    )
