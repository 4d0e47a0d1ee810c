"""The exchange's stops for whichever account the exchange link adopts: a GuardKeeper when
the broker's venue holds conditional orders (USD-M) and EXCHANGE_STOPS is on, the edge
task that runs it, and, at start, the booking of stops that fired while the trader was
down (before reconciliation compares the books)."""

import asyncio
from datetime import timedelta
from decimal import Decimal

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.guards import is_guard_id
from tui_trader.domain.orders import Fill
from tui_trader.execution.broker import Broker, BrokerError, BrokerEvent, GuardVenue
from tui_trader.runtime.guard_keeper import CHECK_S, GuardKeeper, GuardTiming
from tui_trader.runtime.trader_port import TraderPort

FIRED_LOOKBACK = timedelta(days=7)  # how far back a restart looks for fired stops


class GuardLink:
    def __init__(self, trader: TraderPort, timing: GuardTiming | None) -> None:
        self.trader, self._timing = trader, timing
        self.keeper: GuardKeeper | None = None
        self._venue: GuardVenue | None = None

    def adopt(self, broker: Broker) -> None:
        """Keep guards on `broker` from now on (nothing when its venue holds none)."""
        trader = self.trader
        if not (trader.settings.exchange_stops and isinstance(broker, GuardVenue)):
            self.keeper = self._venue = None
            return
        keeper = GuardKeeper(
            trader.core,
            broker,
            trader.send,
            trader.record_safety,
            trader.wall_clock,
            move_bps=trader.settings.exchange_stop_move_bps,
            timing=self._timing,
        )

        def on_event(event: BrokerEvent) -> None:
            if isinstance(event, Fill):  # a position changed: its guards follow at once
                keeper.wake()

        broker.subscribe(on_event)
        broker.subscribe_guards(lambda _guard: trader.touch())  # the panel shows them
        self.keeper, self._venue = keeper, broker

    def stops(self) -> dict[str, Decimal] | None:
        """The trigger of the stop the exchange holds per symbol; None when this account
        keeps no exchange stops."""
        keeper = self.keeper
        if keeper is None:
            return None
        symbols = self.trader.core.parts.market.symbols
        triggers = {s: keeper.stop_trigger(s) for s in symbols}
        return {s: t for s, t in triggers.items() if t is not None}

    async def book_fired(self) -> None:
        """Stops the exchange fired while the trader was down closed positions the
        journal still holds: book their fills now (the broker emits them)."""
        if self._venue is None:
            return
        since = self.trader.wall_clock.now() - FIRED_LOOKBACK
        journaled = await self.trader.journal.fills(since=since)
        booked = {(f.symbol, f.trade_id) for f in journaled if is_guard_id(f.client_order_id)}
        try:
            fills = await self._venue.recover_fired_guards(since, booked)
        except BrokerError as exc:
            self._say(f"cannot read the stops that fired while the trader was down: {exc}")
            return
        for fill in fills:
            self._say(
                f"the exchange's stop closed {fill.symbol} while the trader was down: "
                f"{fill.side} {fill.quantity} @ {fill.price} ({fill.client_order_id})"
            )

    async def run(self) -> None:
        """The edge task that keeps the exchange's stops in step (once an account is in)."""
        while True:
            keeper = self.keeper
            if keeper is None:
                await asyncio.sleep(CHECK_S)
            else:
                await keeper.step()

    def _say(self, message: str) -> None:
        now = self.trader.wall_clock.now()
        self.trader.record_safety(
            SafetyEvent(now, Severity.WARNING, SafetyKind.EXCHANGE_STOP, message)
        )
