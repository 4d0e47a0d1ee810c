"""An entry sent as a bracket order (order_class `bracket`): the buy, and its stop and
take-profit held by Alpaca from the moment it fills, so a trader that crashes right
after an entry still leaves the position protected (a GuardKeeper's OCO comes only
after the fill is heard).

Alpaca names a bracket's exit legs itself; the trader sees the two legs as one BRACKET
guard whose client id is derived from the entry's (`tt-g-x<entry hash>`: the `x` is no
hex digit, so it never collides with a placed guard's id), which is how a restarted
broker recognises them, books their fills (the guard's id + "-s" / "-t") and cancels
them when the GuardKeeper moves the protection (it then places its own OCO)."""

from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from tui_trader.alpaca.order_rules import (
    AssetRules,
    DayTrades,
    MarketOpen,
    bracket_params,
    order_params,
    tick_for,
)
from tui_trader.alpaca.parse_orders import AlpacaOrder
from tui_trader.domain.enums import IntentPurpose, Side
from tui_trader.domain.guards import GUARD_PREFIX, GuardKind, GuardOrder, is_guard_id
from tui_trader.domain.orders import Order
from tui_trader.execution.idempotency import CLIENT_ID_PREFIX

MARK = "x"
# (symbol, entry price) -> (stop, take-profit) the risk manager would hold, or None
EntryExits = Callable[[str, Decimal], tuple[Decimal, Decimal] | None]
WORKING = ("new", "accepted", "held", "pending_new", "partially_filled", "done_for_day")


def bracket_guard_id(entry_client_id: str) -> str:
    return GUARD_PREFIX + MARK + entry_client_id.removeprefix(CLIENT_ID_PREFIX)


def entry_of(guard_client_id: str) -> str | None:
    """The entry's client id behind a bracket guard's id, or None for any other guard."""
    rest = guard_client_id.removeprefix(GUARD_PREFIX)
    if rest == guard_client_id or not rest.startswith(MARK):
        return None
    return CLIENT_ID_PREFIX + rest.removeprefix(MARK)


def is_bracket_entry(report: AlpacaOrder) -> bool:
    """Our entry sent as a bracket (its legs are its exits)."""
    cid = report.client_order_id
    return (
        report.order_class == "bracket"
        and bool(report.legs)
        and cid.startswith(CLIENT_ID_PREFIX)
        and not is_guard_id(cid)
    )


def leg_suffix(leg: AlpacaOrder) -> str:
    return "-s" if leg.stop is not None and leg.kind in ("stop", "stop_limit") else "-t"


def legs_working(report: AlpacaOrder) -> bool:
    return any(leg.state in WORKING for leg in report.legs)


def bracket_guard(report: AlpacaOrder) -> GuardOrder:
    """The BRACKET guard a bracket entry's legs make."""
    stop = next(leg for leg in report.legs if leg_suffix(leg) == "-s")
    take = next(leg for leg in report.legs if leg_suffix(leg) == "-t")
    if stop.stop is None or take.price is None or stop.quantity is None:
        raise ValueError(f"bracket {report.client_order_id} without its exit prices")
    return GuardOrder(bracket_guard_id(report.client_order_id), report.symbol,
                      GuardKind.BRACKET, stop.side, stop.quantity - stop.filled, stop.stop,
                      take_profit=take.price)  # fmt: skip


def rounded_exits(stop: Decimal, take_profit: Decimal, side: Side) -> tuple[Decimal, Decimal]:
    """A long's exits on Alpaca's tick toward protection: the stop a tick tighter (up),
    the take-profit a tick earlier (down); the other way round for a short."""
    up, down = (ROUND_CEILING, ROUND_FLOOR) if side is Side.BUY else (ROUND_FLOOR, ROUND_CEILING)
    return _to_tick(stop, up), _to_tick(take_profit, down)


def _to_tick(price: Decimal, rounding: str) -> Decimal:
    tick = tick_for(price)
    return ((price / tick).to_integral_value(rounding=rounding) * tick).normalize()


def order_body(
    order: Order,
    asset: AssetRules,
    entry_exits: EntryExits | None,
    *,
    now: datetime,
    is_open: MarketOpen,
    day_trades: DayTrades,
    last_price: Decimal | None,
) -> dict[str, Any]:
    """The body of POST /v2/orders for `order`: a buy entry in whole shares whose exits
    `entry_exits` gives goes as a bracket, anything else as it is (order_rules.py)."""
    checks = {"now": now, "is_open": is_open, "day_trades": day_trades, "last_price": last_price}
    price = order.price or last_price
    entry = order.purpose is IntentPurpose.ENTRY and order.side is Side.BUY
    exits = None
    if entry_exits is not None and entry and price is not None and order.quantity % 1 == 0:
        exits = entry_exits(order.symbol, price)
    if exits is None:
        return order_params(order, asset, **checks)  # type: ignore[arg-type]
    held = rounded_exits(*exits, order.side)
    return bracket_params(order, asset, held, **checks)  # type: ignore[arg-type]


def percent_exits(stop_loss_pct: Decimal, take_profit_pct: Decimal) -> EntryExits | None:
    """The risk manager's fixed exits (STOP_LOSS_PCT, TAKE_PROFIT_PCT) around an entry
    price, for a bracket; None when either is off (the GuardKeeper then protects the
    position after its fill). Exits a decision plans itself (distances, partial
    take-profits) differ: the keeper moves the bracket's to them once the entry fills."""
    if stop_loss_pct <= 0 or take_profit_pct <= 0:
        return None

    def exits(_symbol: str, price: Decimal) -> tuple[Decimal, Decimal]:
        return price * (1 - stop_loss_pct / 100), price * (1 + take_profit_pct / 100)

    return exits
