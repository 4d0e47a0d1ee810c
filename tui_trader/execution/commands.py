"""What the execution engine consumes, in one queue: order intents, cancel requests, and
the placing and cancelling of exchange-side guards (they are orders too: one writer)."""

from dataclasses import dataclass

from tui_trader.clock import Clock
from tui_trader.domain.enums import OrderStatus
from tui_trader.domain.guards import GuardOrder
from tui_trader.domain.orders import Order, OrderIntent


@dataclass(frozen=True, slots=True)
class CancelRequest:
    client_order_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PlaceGuard:
    guard: GuardOrder  # status OPEN, client id set
    reason: str


@dataclass(frozen=True, slots=True)
class CancelGuard:
    guard: GuardOrder
    reason: str


@dataclass(frozen=True, slots=True)
class SendQueued:
    """Send now the exit a venue with market hours held for the open (QueuingVenue)."""

    client_order_id: str


ExecutionCommand = OrderIntent | CancelRequest  # what the core decides
# what the engine consumes
EngineCommand = ExecutionCommand | PlaceGuard | CancelGuard | SendQueued


def order_from_intent(intent: OrderIntent, coid: str, clock: Clock) -> Order:
    """The order an approved intent becomes, NEW, under its client order id."""
    now = clock.now()
    return Order(
        client_order_id=coid,
        intent_id=intent.intent_id,
        symbol=intent.symbol,
        side=intent.side,
        order_type=intent.order_type,
        quantity=intent.quantity,
        price=intent.price,
        status=OrderStatus.NEW,
        created_at=now,
        updated_at=now,
        purpose=intent.purpose,
    )
