"""What the execution engine consumes: order intents and cancel requests, in one queue."""

from dataclasses import dataclass

from tui_trader.domain.orders import OrderIntent


@dataclass(frozen=True, slots=True)
class CancelRequest:
    client_order_id: str
    reason: str


ExecutionCommand = OrderIntent | CancelRequest
