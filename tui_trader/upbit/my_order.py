"""Upbit's private `myOrder` stream frames read into an order report and, for a trade, the
one fill it announces (docs.upbit.com, "내 주문 및 체결 (MyOrder)").

A frame is sent on each order event: `wait`/`watch` (placed), `trade` (one execution:
`price` and `volume` are then the trade's, not the order's, and `trade_uuid` names it),
`done`, `cancel`. Sides come upper case (`BID`/`ASK`), times as epoch milliseconds, and
the trade's own fee as `trade_fee`. The report carries no trade list (its fills come from
the frame), so the order's executed volume may run ahead of the fills emitted only until
the fill that follows it in the same call. `prevented` (self-match prevention) ends the
order as a cancel does. Unusable input raises ParseError, like every other reply."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tui_trader.domain.orders import Fill
from tui_trader.numbers import optional_amount, required_amount
from tui_trader.upbit.parse_orders import (
    SIDES,
    ParseError,
    UpbitOrder,
    symbol_of,
)

STATES = {"wait": "wait", "watch": "watch", "trade": "wait", "done": "done",
          "cancel": "cancel", "prevented": "cancel"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class MyOrderEvent:
    report: UpbitOrder
    fill: Fill | None  # only on a `trade` frame


def parse_my_order(raw: Any) -> MyOrderEvent:
    try:
        if raw.get("type") != "myOrder":
            raise ValueError(f"type {raw.get('type')!r}")
        symbol, quote = symbol_of(str(raw["code"]))
        side = SIDES[str(raw["ask_bid"]).lower()]
        kind, state = str(raw["order_type"]), str(raw["state"])
        executed = required_amount(raw["executed_volume"])
        trading = state == "trade"
        volume = optional_amount(raw.get("volume"))
        if trading:  # `volume` is the trade's: the order's is what ran plus what remains
            left = optional_amount(raw.get("remaining_volume"))
            volume = None if left is None or kind == "price" else executed + left
        report = UpbitOrder(
            client_order_id=str(raw.get("identifier") or raw["uuid"]),
            exchange_order_id=str(raw["uuid"]),
            symbol=symbol,
            quote=quote,
            side=side,
            ord_type=kind,
            price=None if kind == "price" or trading else optional_amount(raw.get("price")),
            volume=None if kind == "price" else volume,
            state=STATES[state],
            executed=executed,
            paid_fee=optional_amount(raw.get("paid_fee")) or Decimal(0),
            created_at=epoch_ms(raw.get("order_timestamp") or raw["timestamp"]),
            trades=None,
            average=optional_amount(raw.get("avg_price")),
        )
        fill = None
        if trading:
            fee = optional_amount(raw.get("trade_fee")) or Decimal(0)
            fill = Fill(report.client_order_id, symbol, side, required_amount(raw["volume"]),
                        required_amount(raw["price"]), fee, quote,
                        epoch_ms(raw.get("trade_timestamp") or raw["timestamp"]),
                        str(raw["trade_uuid"]))  # fmt: skip
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise ParseError(f"unreadable Upbit myOrder frame ({exc!r}): {str(raw)[:160]}") from None
    return MyOrderEvent(report, fill)


def epoch_ms(value: Any) -> datetime:
    """Upbit's stream times: epoch milliseconds; anything else, or out of range, is a
    ValueError (so the frame is reported unreadable, not the stream ended)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"time {value!r} is not epoch milliseconds")
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"time {value!r} ms is out of range") from None
