"""Signals, order intents, orders and fills."""

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side, SignalAction


@dataclass(frozen=True, slots=True)
class Signal:
    symbol: str
    action: SignalAction
    confidence: float
    reason: str
    ts: datetime
    price: Decimal
    strategy: str = ""
    quantity: Decimal | None = None  # a strategy's own size (grid levels); else sized by risk %


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """A request to trade, not yet checked. `intent_id` is deterministic for the decision
    that produced it (strategy + symbol + candle time, or exit kind + position), so the
    same decision made twice maps to the same client order id."""

    intent_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None  # limit price; None for MARKET
    purpose: IntentPurpose
    created_at: datetime
    reference_price: Decimal  # market price when the decision was made
    reason: str = ""
    strategy: str = ""
    reduce_only: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def notional(self) -> Decimal:
        return self.quantity * (self.price if self.price is not None else self.reference_price)


QUEUED = "queued for the open at "  # the reason of an exit held for the next open


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the broker knows it. Immutable: state changes produce a new Order."""

    client_order_id: str
    intent_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    purpose: IntentPurpose = IntentPurpose.ENTRY
    filled_quantity: Decimal = Decimal(0)
    average_price: Decimal = Decimal(0)
    exchange_order_id: str = ""
    reason: str = ""  # reject / cancel reason, exchange message
    # The venue's own order type when it is not one the trader sends (STOP_MARKET,
    # TRAILING_STOP_MARKET, LIQUIDATION, STOP_LOSS_LIMIT, ...); `order_type` is then the
    # nearest domain type: LIMIT if the order has a limit price, else MARKET.
    venue_type: str = ""

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_quantity

    @property
    def is_foreign(self) -> bool:
        """Placed by someone else (by hand, another bot, the exchange's liquidation
        engine): no intent of ours produced it."""
        return not self.intent_id

    @property
    def type_label(self) -> str:
        """The order type as the venue names it (what to show and journal)."""
        return self.venue_type or self.order_type.value

    @property
    def is_open(self) -> bool:
        return not self.status.is_final

    @property
    def queued(self) -> bool:
        """An exit held by us for the market's next open, not sent yet (a venue with
        market hours: Alpaca's exit_queue.py). Said by its reason, which the journal
        keeps, so a restart finds it again."""
        return self.is_open and not self.exchange_order_id and self.reason.startswith(QUEUED)

    def evolve(self, **changes: Any) -> "Order":
        """This order with `changes`. Built by position, not `dataclasses.replace`: an
        order evolves several times per fill and replace inspects the fields each time."""
        unknown = changes.keys() - _ORDER_FIELDS.keys()
        if unknown:
            raise TypeError(f"Order has no field(s) {', '.join(sorted(unknown))}")
        return Order(*[changes[n] if n in changes else getattr(self, n) for n in _ORDER_FIELDS])


_ORDER_FIELDS = dict.fromkeys(field.name for field in fields(Order))  # in declaration order


@dataclass(frozen=True, slots=True)
class Fill:
    client_order_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    ts: datetime
    trade_id: str
    is_maker: bool = False

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price
