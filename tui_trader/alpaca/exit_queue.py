"""Exits asked for while the US stock market is closed, held here (in this process) until
the next regular open, then sent through the execution engine.

What is queued: an order whose purpose is an exit (strategy exit, stop-loss,
take-profit, trailing, max holding, the operator's close, the kill switch's flatten),
which only reduces a long stock position. An entry is never queued: it is refused, with
the reason, as before (order_rules.check_session).

Why held locally and not handed to Alpaca. Alpaca itself accepts a `day` market order
outside regular hours and queues it for the next open; that would be simpler, but:
- "no order is sent while the market is closed" stays literally true, which is what the
  issue asks and what docs/alpaca-orders.md promised;
- the protective stops stay in place until the exit really goes: Alpaca holds a share
  for one sell order at a time, so an exit resting at Alpaca overnight would first have
  had to cancel the GTC stop (or OCO) protecting the position — a night with neither a
  working stop nor a working exit if anything went wrong at the open. Held here, the
  stop stays until the open, when the sell frees the shares and goes out at once;
- cancelling a queued exit (the operator, the strategy re-entering, the kill switch) is
  then a local step that cannot race Alpaca's opening auction;
- Alpaca's own out-of-hours handling (extended hours, 24/5 overnight sessions) keeps
  changing; our rule is stated here and tested, whatever the account allows.
The price of that: the exit goes only while a trader runs at the open. A stopped
trader sends nothing — but then the stop Alpaca holds still protects the position.

How it is kept: the order is accepted as NEW with the reason
"queued for the open at <UTC time>" (domain/orders.QUEUED) and no Alpaca id; the
trader journals it like any order, so a restart finds it in the journal's open orders
and hands it back (AlpacaBroker.restore_queued). Because a crash may have come after the
exit was sent at the open but before that was journaled, a restored exit is first asked
for by client_order_id: if Alpaca knows it, that order is adopted and nothing is sent.
Its client order id is the one it had when queued, so it cannot be placed twice either
way (Alpaca refuses a second order with the same client_order_id).

Pure: the time comes in; the broker owns the task that notices the open."""

from dataclasses import dataclass
from datetime import datetime

from tui_trader.domain.orders import QUEUED, Order


def queued_reason(opens: datetime) -> str:
    return (
        f"{QUEUED}{opens:%Y-%m-%d %H:%M} UTC (market closed: no order is sent outside "
        "regular hours; the stop Alpaca holds stays until then)"
    )


@dataclass(slots=True)
class Held:
    order: Order  # as the trader knows it: NEW, reason "queued for the open at ..."
    opens: datetime  # the open it waits for
    restored: bool = False  # from the journal after a restart: ask Alpaca before sending
    released: bool = False  # handed to the engine to send; not handed twice


class ExitQueue:
    """The exits held for the next open, by client order id, in the order they came."""

    def __init__(self) -> None:
        self._held: dict[str, Held] = {}

    def __contains__(self, client_order_id: object) -> bool:
        return client_order_id in self._held

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, order: Order, opens: datetime, now: datetime, restored: bool = False) -> Order:
        """Hold `order` for the open at `opens`; returns it as the trader shall know it."""
        queued = order.evolve(reason=queued_reason(opens), updated_at=now)
        self._held[order.client_order_id] = Held(queued, opens, restored)
        return queued

    def get(self, client_order_id: str) -> Held | None:
        return self._held.get(client_order_id)

    def orders(self) -> list[Order]:
        return [held.order for held in self._held.values()]

    def due(self, market_open: bool) -> list[Order]:
        """While the market is open: every exit not yet handed over, marked handed."""
        if not market_open:
            return []
        fresh = [held for held in self._held.values() if not held.released]
        for held in fresh:
            held.released = True
        return [held.order for held in fresh]

    def take(self, client_order_id: str) -> Held | None:
        """Remove it (to send it now, or because it was cancelled)."""
        return self._held.pop(client_order_id, None)

    def again(self, client_order_id: str) -> None:
        """It could not be handed over after all: hand it again at the next look."""
        held = self._held.get(client_order_id)
        if held is not None:
            held.released = False
