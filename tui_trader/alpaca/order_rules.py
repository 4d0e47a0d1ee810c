"""What Alpaca would refuse, or what we refuse to send to it, checked before anything
leaves the process (invariant 5), and the order as the JSON body of POST /v2/orders.

Pure and synchronous: the asset's flags, the account's day-trade state and whether the
market is open are handed in, so tests drive every rule without a network or a clock.

Alpaca's rules kept here (docs.alpaca.markets, "Orders at Alpaca", "Fractional trading",
"Pattern day trader protection"):
- price: a multiple of $0.01 at or above $1.00, of $0.0001 below (sub-penny rule);
- fractional quantities only for an asset marked `fractionable`, and only as a market
  order for the day (we never send a fractional limit), worth at least $1;
  every other order is in whole shares;
- no order while the market is closed. We send no extended-hours orders at all (not
  even the limit orders Alpaca would take): an entry outside regular hours is refused
  here with that reason; an exit never reaches this check then, the broker holds it for
  the next open (exit_queue.py) while the stop Alpaca holds for the position (guards,
  sent GTC, triggered by Alpaca in regular hours only) stays in place;
- pattern-day-trader protection: on a margin account (multiplier > 1) with equity under
  $25,000, an order that would be a 4th day trade in 5 business days is refused. An
  order is a day trade when it closes, the same day, what was opened that day; the count
  is Alpaca's `daytrade_count` plus the day trades the broker itself made since it read
  the account. A cash account cannot be flagged (it is held to settled funds instead)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tui_trader.domain.enums import OrderType, Side
from tui_trader.domain.orders import Order

PENNY, SUB_PENNY, DOLLAR = Decimal("0.01"), Decimal("0.0001"), Decimal(1)
MIN_FRACTIONAL_NOTIONAL = Decimal(1)
PDT_EQUITY = Decimal(25_000)
MAX_DAY_TRADES = 3  # in 5 business days; the 4th flags the account
MarketOpen = Callable[[datetime], bool]


class RefusedLocally(Exception):
    """Alpaca would refuse this order, or we will not send it; the message says why."""


@dataclass(frozen=True, slots=True)
class AssetRules:
    """What GET /v2/assets/{symbol} says about one of our symbols."""

    symbol: str  # ours: AAPLUSD
    ticker: str  # Alpaca's: AAPL
    tradable: bool = True
    fractionable: bool = False


@dataclass(frozen=True, slots=True)
class DayTrades:
    """The account's day-trade standing as the broker last knew it."""

    margin: bool  # multiplier > 1: the PDT rule applies
    equity: Decimal
    count: int  # day trades in the last 5 business days, ours since the read included
    opened_today: frozenset[tuple[str, Side]] = field(default_factory=frozenset)

    @property
    def protected(self) -> bool:
        return self.margin and self.equity < PDT_EQUITY

    def would_day_trade(self, symbol: str, side: Side) -> bool:
        return (symbol, side.opposite) in self.opened_today


def tick_for(price: Decimal) -> Decimal:
    return PENNY if price >= DOLLAR else SUB_PENNY


def check_price(price: Decimal, what: str = "price") -> None:
    if not price.is_finite() or price <= 0:
        raise RefusedLocally(f"{what} {price} is not a positive price")
    tick = tick_for(price)
    if price % tick != 0:
        raise RefusedLocally(f"{what} {price} is not a multiple of Alpaca's tick {tick} there")


def check_session(now: datetime, is_open: MarketOpen) -> None:
    if not is_open(now):
        raise RefusedLocally(
            f"the US stock market is closed at {now:%Y-%m-%d %H:%M} UTC: tui-trader sends "
            "no order outside regular hours (no extended-hours orders): an entry is "
            "refused, an exit is queued for the next open; stops held by Alpaca still "
            "protect open positions"
        )


def check_day_trades(order: Order, day_trades: DayTrades) -> None:
    if not day_trades.protected or not day_trades.would_day_trade(order.symbol, order.side):
        return
    if day_trades.count >= MAX_DAY_TRADES:
        raise RefusedLocally(
            f"pattern-day-trader protection: {order.side} {order.symbol} would close a "
            f"position opened today, the {day_trades.count + 1}th day trade in 5 business "
            f"days on a margin account with equity {day_trades.equity} < {PDT_EQUITY} USD"
        )


def check_quantity(order: Order, asset: AssetRules, price: Decimal | None) -> None:
    qty = order.quantity
    if not qty.is_finite() or qty <= 0:
        raise RefusedLocally(f"quantity {qty} is not positive")
    if qty % 1 == 0:
        return
    if not asset.fractionable:
        raise RefusedLocally(f"{asset.ticker} is not fractionable: whole shares only, not {qty}")
    if order.order_type is not OrderType.MARKET:
        raise RefusedLocally(f"fractional quantity {qty}: only as a market order for the day")
    if price is None:
        raise RefusedLocally("a fractional order needs a last price to check its value")
    if qty * price < MIN_FRACTIONAL_NOTIONAL:
        raise RefusedLocally(
            f"fractional order worth {qty * price:.4f} USD, below Alpaca's minimum "
            f"{MIN_FRACTIONAL_NOTIONAL} USD"
        )


def order_params(
    order: Order,
    asset: AssetRules,
    *,
    now: datetime,
    is_open: MarketOpen,
    day_trades: DayTrades,
    last_price: Decimal | None,
) -> dict[str, str]:
    """`order` as the body of POST /v2/orders; raises RefusedLocally when it must not go."""
    if order.venue_type:
        raise RefusedLocally(f"{order.venue_type} orders are never sent")
    if not asset.tradable:
        raise RefusedLocally(f"{asset.ticker} is not tradable on Alpaca")
    check_session(now, is_open)
    params = {"symbol": asset.ticker, "side": order.side.value.lower()}
    if order.order_type is OrderType.LIMIT:
        if order.price is None:
            raise RefusedLocally("a limit order needs a price")
        check_price(order.price, "limit price")
        check_quantity(order, asset, order.price)
        params |= {"type": "limit", "limit_price": text(order.price), "time_in_force": "gtc"}
    else:
        check_quantity(order, asset, last_price)
        params |= {"type": "market", "time_in_force": "day"}
    check_day_trades(order, day_trades)
    return params | {"qty": text(order.quantity), "client_order_id": order.client_order_id}


def bracket_params(
    order: Order,
    asset: AssetRules,
    exits: tuple[Decimal, Decimal],
    *,
    now: datetime,
    is_open: MarketOpen,
    day_trades: DayTrades,
    last_price: Decimal | None,
) -> dict[str, object]:
    """An entry with its exits (stop, take-profit) held by Alpaca (order_class bracket,
    GTC so the legs outlive the day): whole shares only, the stop below and the
    take-profit above a buy's price (the other way round for a sell)."""
    stop, take_profit = exits
    checked = order_params(
        order, asset, now=now, is_open=is_open, day_trades=day_trades, last_price=last_price
    )
    params: dict[str, object] = dict(checked)
    if order.quantity % 1 != 0:
        raise RefusedLocally(f"a bracket order takes whole shares, not {order.quantity}")
    check_price(stop, "stop price")
    check_price(take_profit, "take-profit price")
    low, high = (stop, take_profit) if order.side is Side.BUY else (take_profit, stop)
    if low >= high:
        raise RefusedLocally(f"bracket exits out of order: stop {stop}, take-profit {take_profit}")
    params |= {"order_class": "bracket", "time_in_force": "gtc"}
    params["take_profit"] = {"limit_price": text(take_profit)}
    params["stop_loss"] = {"stop_price": text(stop)}
    return params


def text(number: Decimal) -> str:
    """Plain digits, no exponent, no trailing zeros: `187.5`, `0.0001`, `3`."""
    plain = f"{number:f}"
    return plain.rstrip("0").rstrip(".") if "." in plain else plain
