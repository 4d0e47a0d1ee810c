"""What Upbit would refuse, checked before anything is sent (invariant 5), and the order
as Upbit's parameters.

Price units on the KRW market depend on the price (Upbit's table since 2025-07-31, below).
The unit we require is the larger of the table's unit at the order's price and the
unit Upbit stated for the pair at start (rules.tick_size, `/v1/orderbook/instruments`):
the stated unit covers the pairs Upbit gives a unit of their own (USDT/KRW, a few coins
in the 100-1,000 won band) and the cheap bands, and the table covers a price that has
moved into a coarser band since. Every unit divides the units of the bands above it, so
the larger one is always a valid price step.

Order kinds, as Upbit takes them: a limit order (`ord_type=limit`, price and volume);
a market buy spends an amount of the quote (`ord_type=price`, price = quantity x the
last price, floored to the whole won on KRW, which has no minor unit); a market sell
sells a volume (`ord_type=market`). Minimum order value 5,000 KRW (rules.min_notional),
volumes in steps of 0.00000001."""

from decimal import ROUND_FLOOR, Decimal

from tui_trader.domain.enums import OrderType, Side
from tui_trader.domain.orders import Order
from tui_trader.domain.rules import SymbolRules
from tui_trader.upbit.quotation import market_code
from tui_trader.upbit.rules import STEP

# (lowest price of the band, unit), highest band first.
KRW_UNITS = (
    (Decimal(1_000_000), Decimal(1000)),
    (Decimal(500_000), Decimal(500)),
    (Decimal(100_000), Decimal(100)),
    (Decimal(50_000), Decimal(50)),
    (Decimal(10_000), Decimal(10)),
    (Decimal(5_000), Decimal(5)),
    (Decimal(100), Decimal(1)),
    (Decimal(10), Decimal("0.01")),
    (Decimal(1), Decimal("0.001")),
    (Decimal("0.1"), Decimal("0.0001")),
    (Decimal("0.01"), Decimal("0.00001")),
    (Decimal("0.001"), Decimal("0.000001")),
    (Decimal("0.0001"), Decimal("0.0000001")),
)
FINEST = Decimal("0.00000001")
SIDES = {Side.BUY: "bid", Side.SELL: "ask"}


class RefusedLocally(Exception):
    """Upbit would refuse this order; the message says why, with the numbers."""


def krw_unit(price: Decimal) -> Decimal:
    """Upbit's KRW price unit at `price`."""
    for lowest, unit in KRW_UNITS:
        if price >= lowest:
            return unit
    return FINEST


def price_unit(price: Decimal, rules: SymbolRules, quote: str) -> Decimal:
    table = krw_unit(price) if quote == "KRW" else rules.tick_size
    return max(table, rules.tick_size)


def order_params(
    order: Order, rules: SymbolRules, quote: str, last_price: Decimal | None
) -> dict[str, str]:
    """`order` as the body of POST /v1/orders; raises RefusedLocally when Upbit would
    refuse it (or when a market buy has no last price to size its amount from)."""
    if order.venue_type:
        raise RefusedLocally(f"{order.venue_type} orders are never sent")
    params = {"market": market_code(order.symbol), "side": SIDES[order.side]}
    if order.order_type is OrderType.LIMIT:
        if order.price is None:
            raise RefusedLocally("a limit order needs a price")
        _check_price(order.price, rules, quote)
        _check_volume(order.quantity)
        _check_value(order.quantity * order.price, rules, quote)
        params |= {"ord_type": "limit", "price": _text(order.price)}
        params["volume"] = _text(order.quantity)
    elif order.side is Side.BUY:
        if last_price is None or last_price <= 0:
            raise RefusedLocally("a market buy spends quantity x last price: no last price yet")
        amount = _floor(order.quantity * last_price, Decimal(1) if quote == "KRW" else FINEST)
        _check_value(amount, rules, quote)
        params |= {"ord_type": "price", "price": _text(amount)}
    else:
        _check_volume(order.quantity)
        if last_price is not None:
            _check_value(order.quantity * last_price, rules, quote)
        params |= {"ord_type": "market", "volume": _text(order.quantity)}
    return params | {"identifier": order.client_order_id}


def _check_price(price: Decimal, rules: SymbolRules, quote: str) -> None:
    if price <= 0:
        raise RefusedLocally(f"price {price} is not positive")
    unit = price_unit(price, rules, quote)
    if price % unit != 0:
        raise RefusedLocally(f"price {price} is not a multiple of Upbit's unit {unit} there")


def _check_volume(volume: Decimal) -> None:
    if volume <= 0 or volume % STEP != 0:
        raise RefusedLocally(f"volume {volume}: Upbit takes positive steps of {STEP}")


def _check_value(value: Decimal, rules: SymbolRules, quote: str) -> None:
    if value < rules.min_notional:
        raise RefusedLocally(
            f"order value {value} {quote} below Upbit's minimum {rules.min_notional}"
        )
    if rules.max_notional is not None and value > rules.max_notional:
        raise RefusedLocally(
            f"order value {value} {quote} above Upbit's maximum {rules.max_notional}"
        )


def _floor(value: Decimal, unit: Decimal) -> Decimal:
    return (value / unit).to_integral_value(rounding=ROUND_FLOOR) * unit


def _text(number: Decimal) -> str:
    """Plain digits, no exponent, no trailing zeros: `90000000`, `0.0001`."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
