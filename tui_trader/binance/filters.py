"""exchangeInfo → SymbolRules for spot and USD-M futures, in Decimal."""

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from tui_trader.binance.parse import ParseError
from tui_trader.domain.enums import MarketKind, OrderType
from tui_trader.domain.orders import Order
from tui_trader.domain.rules import SymbolRules
from tui_trader.numbers import NumberError, parse_decimal, quote


def _dec(filters: Mapping[str, Mapping[str, Any]], kind: str, key: str) -> Decimal | None:
    raw = filters.get(kind, {}).get(key)
    if raw is None:
        return None
    try:
        value = parse_decimal(str(raw), f"{kind}.{key}")  # finite, in range
    except NumberError:
        raise ParseError(f"{kind}.{key}={quote(raw)} is not a usable number") from None
    if value < 0:
        raise ParseError(f"{kind}.{key}={quote(raw)} is not a finite non-negative number")
    # "5.00000000" → 5 and "0.01000000" → 0.01, so refusal messages read naturally
    # (normalize() alone would write 9000000 as 9E+6).
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _positive(value: Decimal | None, what: str, symbol: str) -> Decimal:
    # A zero tick or step means "no constraint" on Binance, but we cannot round to it
    # and trading such a symbol blind is not worth it.
    if value is None or value == 0:
        raise ParseError(f"{symbol}: {what} missing or zero")
    return value


def _optional(value: Decimal | None) -> Decimal | None:
    # Binance writes 0 for "no maximum".
    return value if value else None


def symbol_rules(info: Mapping[str, Any], market: MarketKind) -> SymbolRules:
    """One `symbols[]` entry of exchangeInfo. Spot NOTIONAL / legacy MIN_NOTIONAL use
    `minNotional`; futures MIN_NOTIONAL uses `notional`."""
    symbol = info.get("symbol")
    raw_filters = info.get("filters")
    if not isinstance(symbol, str) or not isinstance(raw_filters, list):
        raise ParseError("exchangeInfo symbol entry without symbol or filters")
    filters = {f["filterType"]: f for f in raw_filters if isinstance(f, dict) and "filterType" in f}
    if market is MarketKind.FUTURES:
        min_notional = _dec(filters, "MIN_NOTIONAL", "notional")
        max_notional = None
    else:
        min_notional = _dec(filters, "NOTIONAL", "minNotional")
        if min_notional is None:
            min_notional = _dec(filters, "MIN_NOTIONAL", "minNotional")
        max_notional = _optional(_dec(filters, "NOTIONAL", "maxNotional"))
    return SymbolRules(
        symbol=symbol,
        tick_size=_positive(
            _dec(filters, "PRICE_FILTER", "tickSize"), "PRICE_FILTER.tickSize", symbol
        ),
        step_size=_positive(_dec(filters, "LOT_SIZE", "stepSize"), "LOT_SIZE.stepSize", symbol),
        min_qty=_dec(filters, "LOT_SIZE", "minQty") or Decimal(0),
        max_qty=_positive(_dec(filters, "LOT_SIZE", "maxQty"), "LOT_SIZE.maxQty", symbol),
        min_notional=min_notional or Decimal(0),
        max_notional=max_notional,
        min_price=_dec(filters, "PRICE_FILTER", "minPrice") or Decimal(0),
        max_price=_optional(_dec(filters, "PRICE_FILTER", "maxPrice")),
    )


def rules_from_exchange_info(
    info: Mapping[str, Any], market: MarketKind, symbols: Collection[str] | None = None
) -> tuple[dict[str, SymbolRules], dict[str, str]]:
    """(rules by symbol, trading status by symbol), for `symbols` only when given. A
    malformed entry raises ParseError naming the symbol: better to refuse to start than
    to trade on guessed filters."""
    entries = info.get("symbols")
    if not isinstance(entries, list):
        raise ParseError("exchangeInfo without a symbols list")
    rules: dict[str, SymbolRules] = {}
    status: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise ParseError("exchangeInfo symbols entry is not an object")
        if symbols is not None and entry.get("symbol") not in symbols:
            continue
        parsed = symbol_rules(entry, market)
        rules[parsed.symbol] = parsed
        status[parsed.symbol] = str(entry.get("status", ""))
    return rules, status


def order_refusal(
    order: Order, rules: SymbolRules | None, status: str, reference_price: Decimal | None
) -> str:
    """Why Binance would refuse `order` ("" if it would not): unknown symbol, trading
    halted, or the filters it breaks. A MARKET order has no price of its own: the tick
    never applies, and the notional is checked only against a reference price."""
    if rules is None:
        return f"no exchange rules for {order.symbol}"
    if status != "TRADING":
        return f"{order.symbol} is {status or 'not trading'} on Binance"
    if order.order_type is OrderType.LIMIT:
        if order.price is None:
            return "LIMIT order without a price"
        return "; ".join(rules.violations(order.quantity, order.price))
    found = rules.violations(order.quantity, reference_price or rules.tick_size)
    return "; ".join(
        v
        for v in found
        if not v.startswith("PRICE_FILTER")
        and (reference_price is not None or not v.startswith("NOTIONAL"))
    )
