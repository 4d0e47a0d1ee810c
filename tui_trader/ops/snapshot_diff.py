"""What changed between two consecutive trader snapshots. Notifications and metrics are
both derived this way, so the trader needs no hooks for them.

Snapshots hold bounded histories (200 safety events, 50 recent orders): a poller that
falls further behind than that misses the oldest changes, never reports one twice."""

from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Order
from tui_trader.snapshot import TraderSnapshot


def new_safety_events(before: TraderSnapshot | None, after: TraderSnapshot) -> list[SafetyEvent]:
    """Safety events in `after` that `before` did not have, oldest first. The trader
    keeps the very same event objects across snapshots, so identity tells them apart
    (events are not hashable: their `data` is a dict)."""
    if before is None:
        return []
    seen = {id(event) for event in before.safety_events}
    fresh: list[SafetyEvent] = []
    for event in after.safety_events:  # newest first: stop at the first one known
        if id(event) in seen:
            break
        fresh.append(event)
    return fresh[::-1]


def order_changes(before: TraderSnapshot | None, after: TraderSnapshot) -> list[Order]:
    """Orders of `after` that are new or whose status changed since `before`, oldest
    change first."""
    if before is None:
        return []
    known = {o.client_order_id: o.status for o in (*before.recent_orders, *before.open_orders)}
    changed: dict[str, Order] = {}
    for order in (*after.recent_orders, *after.open_orders):
        if (
            order.client_order_id not in changed
            and known.get(order.client_order_id) != order.status
        ):
            changed[order.client_order_id] = order
    return sorted(changed.values(), key=lambda o: o.updated_at)
