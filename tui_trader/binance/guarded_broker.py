"""What the spot and USD-M brokers share as a GuardVenue: the guard calls handed to the
market's guard book (futures_guards.py, spot_guards.py), and the booking of what those
guards did while the trader was down, looked up by client id."""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from tui_trader.binance.broker_sync import ReconcilingBroker
from tui_trader.clock import dt_to_ms
from tui_trader.domain.guards import GuardOrder
from tui_trader.domain.orders import Fill
from tui_trader.execution.broker import GuardListener

log = logging.getLogger(__name__)


def tell_listeners(listeners: Sequence[GuardListener], guard: GuardOrder) -> GuardOrder:
    """Every listener hears `guard`; one that raises is logged and the others still hear."""
    for listener in listeners:
        try:
            listener(guard)
        except Exception:  # one broken listener must not starve the others
            log.exception("guard listener failed on %r", guard)
    return guard


class GuardBook(Protocol):
    def subscribe(self, listener: GuardListener) -> None: ...

    async def place(self, guard: GuardOrder) -> GuardOrder: ...

    async def cancel(self, guard: GuardOrder) -> GuardOrder | None: ...

    async def open(self) -> list[GuardOrder]: ...

    async def fired_since(self, since_ms: int) -> list[str]:
        """Client ids of our guards (or their legs) that traded since `since_ms`."""


class GuardedBroker(ReconcilingBroker):
    _guards: GuardBook  # set by the market's constructor

    def subscribe_guards(self, listener: GuardListener) -> None:
        self._guards.subscribe(listener)

    async def place_guard(self, guard: GuardOrder) -> GuardOrder:
        return await self._guards.place(guard)

    async def cancel_guard(self, guard: GuardOrder) -> GuardOrder | None:
        return await self._guards.cancel(guard)

    async def open_guards(self) -> list[GuardOrder]:
        return await self._guards.open()

    async def recover_fired_guards(
        self, since: datetime, booked: set[tuple[str, str]]
    ) -> list[Fill]:
        """Book what our guards did while nobody listened: each one that fired since
        `since` is looked up by client id and its fills not `booked` are emitted now."""
        self._tracker.remember([], booked)
        fresh: list[Fill] = []
        for client_id in await self._guards.fired_since(dt_to_ms(since)):
            order = await self.query(client_id)
            if order is not None:
                fresh += await self.recover_fills(order)
        return fresh
