"""How the execution engine carries out a guard command: journaled first (a "guard"
event naming the client id and trigger), then sent to the venue. Guards are reduce-only
protection, so no trading state holds them back: a halted trader still keeps its open
positions' stops. What the venue answers reaches the GuardKeeper through the broker's
guard listeners; a failure here is counted like any broker failure."""

import logging
from typing import Protocol

from tui_trader.execution.broker import Broker, BrokerError, GuardVenue
from tui_trader.execution.commands import CancelGuard, PlaceGuard
from tui_trader.journal.store import Journal

log = logging.getLogger("tui_trader.execution")


class GuardFailures(Protocol):
    def on_broker_failure(self, source: str, error: str) -> None: ...

    def on_broker_success(self) -> None: ...


async def send_guard_command(
    command: PlaceGuard | CancelGuard, broker: Broker, journal: Journal, listener: GuardFailures
) -> None:
    guard = command.guard
    action = "place" if isinstance(command, PlaceGuard) else "cancel"
    if not isinstance(broker, GuardVenue):
        log.info("guard %s %s skipped: %s holds no guards", action, guard.client_id, broker.name)
        return
    journal.record_event(
        "guard",
        action,
        {
            "client_id": guard.client_id,
            "symbol": guard.symbol,
            "kind": guard.kind.value,
            "side": guard.side.value,
            "quantity": str(guard.quantity),
            "trigger": str(guard.trigger),
            "reason": command.reason,
        },
    )
    try:
        if isinstance(command, PlaceGuard):
            await broker.place_guard(guard)
        else:
            await broker.cancel_guard(guard)
    except BrokerError as exc:
        listener.on_broker_failure("guards", f"{action} {guard.describe()}: {exc}")
        return
    listener.on_broker_success()
