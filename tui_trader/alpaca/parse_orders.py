"""Alpaca's orders, as the SDK's models hold them, read into one report of ours, and the
account and positions into balances and positions.

The SDK has already checked each reply's shape (its pydantic models); what is read here
is what it leaves as text, the numbers, each into an exact Decimal. Alpaca reports an
order's executions only as running totals (`filled_qty`, `filled_avg_price`): a REST
reply has no list of them. So a fill of ours is "what the total grew by", keyed by the
order's id and the new total (order_memory.py), whichever source tells it first.

Alpaca's states: `new`, `accepted`, `pending_new`, `held` (a bracket leg waiting for
its entry), `done_for_day`, ... are working; `filled`, `canceled`, `expired`,
`rejected` and `replaced` are final. An unusable reply raises ParseError."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Balance
from tui_trader.numbers import optional_amount

QUOTE = "USD"
ZERO = Decimal(0)
FINAL = {
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "replaced": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}


class ParseError(Exception):
    """An Alpaca reply or frame that does not read as what it should be."""


@dataclass(frozen=True, slots=True)
class AlpacaOrder:
    client_order_id: str
    exchange_order_id: str
    symbol: str  # ours: AAPLUSD
    side: Side
    kind: str  # market, limit, stop, stop_limit, trailing_stop
    order_class: str  # simple, bracket, oco, oto
    quantity: Decimal | None  # None for an order by notional
    price: Decimal | None  # the limit price
    stop: Decimal | None
    state: str
    filled: Decimal
    average: Decimal | None
    created_at: datetime
    updated_at: datetime
    legs: tuple["AlpacaOrder", ...] = ()

    @property
    def status(self) -> OrderStatus:
        if self.state in FINAL:
            return FINAL[self.state]
        return OrderStatus.PARTIALLY_FILLED if self.filled > 0 else OrderStatus.NEW

    def to_order(self, known: Order | None) -> Order:
        """The order after this report: `known` moved on, or a new order for one this
        broker did not send (by hand, or before a restart: no intent id)."""
        quantity = self.quantity if self.quantity is not None else self.filled
        average = self.average if self.average is not None and self.filled > 0 else None
        if known is not None:
            return known.evolve(
                quantity=quantity if self.quantity is not None else known.quantity,
                status=self.status,
                filled_quantity=self.filled,
                average_price=average if average is not None else known.average_price,
                exchange_order_id=self.exchange_order_id,
                updated_at=max(known.updated_at, self.updated_at),
            )
        simple = self.kind in ("market", "limit")
        return Order(
            self.client_order_id,
            "",
            self.symbol,
            self.side,
            OrderType.LIMIT if self.price is not None else OrderType.MARKET,
            quantity,
            self.price,
            self.status,
            self.created_at,
            self.updated_at,
            filled_quantity=self.filled,
            average_price=average or ZERO,
            exchange_order_id=self.exchange_order_id,
            venue_type="" if simple and self.order_class == "simple" else self.label,
        )

    @property
    def label(self) -> str:
        return self.kind.upper() if self.order_class == "simple" else self.order_class.upper()


def parse_order(model: Any) -> AlpacaOrder:
    """One SDK `Order` model (a REST reply or a stream frame's `order`)."""
    try:
        legs = tuple(parse_order(leg) for leg in model.legs or ())
        return AlpacaOrder(
            client_order_id=str(model.client_order_id),
            exchange_order_id=str(model.id),
            symbol=our_symbol(str(model.symbol)),
            side=Side(_value(model.side).upper()),
            kind=_value(model.type or model.order_type),
            order_class=_value(model.order_class) or "simple",
            quantity=optional_amount(model.qty),
            price=optional_amount(model.limit_price),
            stop=optional_amount(model.stop_price),
            state=_value(model.status),
            filled=optional_amount(model.filled_qty) or ZERO,
            average=optional_amount(model.filled_avg_price),
            created_at=_utc(model.created_at),
            updated_at=_utc(model.updated_at),
            legs=legs,
        )
    except (AttributeError, TypeError, ValueError, InvalidOperation) as exc:
        raise ParseError(f"unreadable Alpaca order ({exc!r}): {str(model)[:160]}") from None


def parse_balances(account: Any, positions: Any) -> dict[str, Balance]:
    """GET /v2/account and GET /v2/positions as spot balances: the cash (USD) and each
    stock held under its ticker (AAPL), as Upbit's accounts list KRW and BTC. A short
    position (not something this trader opens) shows as a negative holding."""
    try:
        found = {QUOTE: Balance(QUOTE, _signed(account.cash))}
        for row in positions:
            qty = Decimal(str(row.qty))
            if _value(row.side) == "short" and qty > 0:
                qty = -qty
            ticker = str(row.symbol)
            our_symbol(ticker)
            found[ticker] = Balance(ticker, qty)
    except (AttributeError, TypeError, ValueError, InvalidOperation) as exc:
        raise ParseError(f"unreadable Alpaca account or positions ({exc!r})") from None
    return found


def _signed(value: Any) -> Decimal:
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"unusable number {value!r}")
    return number


def our_symbol(ticker: str) -> str:
    if not ticker or not ticker.replace(".", "").isalnum():
        raise ValueError(f"ticker {ticker!r}")
    return ticker + QUOTE


def _value(field: Any) -> str:
    """An SDK enum member or a plain string, as Alpaca's wire text."""
    return str(getattr(field, "value", field) or "")


def _utc(moment: Any) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"time without offset {moment!r}")
    return moment.astimezone(UTC)
