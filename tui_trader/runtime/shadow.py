"""The shadow paper broker: while the trader trades a venue account (testnet or live),
every order it sends there is also given to a paper exchange fed the same market events,
so the paper results a user trusted can be measured against what the venue did
(execution/divergence.py).

The shadow never trades: its orders and fills are journaled as "shadow" events (never in
the account's orders and fills, so restore and reconciliation never see them), and it
keeps the newest MAX_ORDERS orders in memory for the app's live figure; `tui-trader
report divergence` reads the journal for the whole history."""

from collections import deque
from collections.abc import Callable, Mapping
from decimal import Decimal

from tui_trader.clock import Clock
from tui_trader.config import Settings
from tui_trader.domain.enums import OrderStatus
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import Fill, Order
from tui_trader.execution.divergence import DivergenceReport, MirroredOrder, compare
from tui_trader.journal.codec import fill_row
from tui_trader.journal.store import Journal
from tui_trader.runtime.core_parts import paper_exchange

MAX_ORDERS = 1000
CATEGORY = "shadow"


class ShadowPaper:
    def __init__(
        self,
        settings: Settings,
        balances: Mapping[str, Decimal],
        step_of: Callable[[str], Decimal],
        journal: Journal,
        clock: Clock,
    ) -> None:
        self._settings, self._journal, self._clock = settings, journal, clock
        self.exchange = paper_exchange(settings, balances, step_of)
        self._orders: deque[MirroredOrder] = deque(maxlen=MAX_ORDERS)
        self._live: dict[str, list[Fill]] = {}
        self._paper: dict[str, list[Fill]] = {}
        self._report: DivergenceReport | None = None  # until something changes

    # --- what the trader feeds it -----------------------------------------------------
    def mirror(self, order: Order, reference: Decimal | None) -> None:
        """`order` went to the venue: give the paper exchange the same order."""
        now = self._clock.now()
        accepted = self.exchange.submit(order.evolve(status=OrderStatus.NEW), now)
        if len(self._orders) == self._orders.maxlen:
            dropped = self._orders[0].client_order_id
            self._live.pop(dropped, None)
            self._paper.pop(dropped, None)
        mirrored = MirroredOrder(
            order.client_order_id, order.symbol, order.side, order.quantity, now, reference
        )
        self._orders.append(mirrored)
        self._live.setdefault(order.client_order_id, [])
        self._report = None
        self._journal.record_event(
            CATEGORY,
            "order",
            {
                "client_order_id": order.client_order_id,
                "intent_id": order.intent_id,
                "symbol": order.symbol,
                "side": order.side.value,
                "quantity": str(order.quantity),
                "created_at": now.isoformat(),
                "reference_price": str(reference) if reference is not None else None,
                "paper_status": accepted.status.value,
                "paper_reason": accepted.reason,
            },
        )

    def cancel(self, client_order_id: str) -> None:
        self.exchange.cancel(client_order_id, self._clock.now())

    def on_market_event(self, event: Tick | Candle) -> None:
        updates = (
            self.exchange.on_tick(event)
            if isinstance(event, Tick)
            else self.exchange.on_candle(event)
        )
        for update in updates:
            if isinstance(update, Fill):
                self._paper_fill(update)

    def on_broker_event(self, event: object) -> None:
        """A live broker's event (its listener): the fills are measured against paper's."""
        if isinstance(event, Fill):
            self.on_live_fill(event)

    def on_live_fill(self, fill: Fill) -> None:
        if fill.client_order_id in self._live:
            self._live[fill.client_order_id].append(fill)
            self._report = None

    # --- what it tells ----------------------------------------------------------------
    def report(self) -> DivergenceReport:
        if self._report is None:
            live = [f for fills in self._live.values() for f in fills]
            paper = [f for fills in self._paper.values() for f in fills]
            quote, base_of = self._settings.quote_asset, self._settings.base_asset
            self._report = compare(self._orders, live, paper, quote, base_of)
        return self._report

    def _paper_fill(self, fill: Fill) -> None:
        self._paper.setdefault(fill.client_order_id, []).append(fill)
        self._report = None
        self._journal.record_event(CATEGORY, "fill", fill_row(fill))  # as the fills table
