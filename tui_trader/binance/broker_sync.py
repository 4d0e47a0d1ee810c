"""The reconciliation side of the Binance brokers (the `ExchangeAccount` protocol of
reconcile.py): seeding what the journal knows, recovering fills from trade history,
the REST poll that stands in for a silent user stream, and what happens after every
user data re-subscription."""

from collections.abc import Awaitable, Callable, Iterable

from tui_trader.binance.broker_core import ExchangeBroker
from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_trades import parse_order_trades
from tui_trader.binance.reconcile import sync_orders
from tui_trader.brokers.base import BrokerError
from tui_trader.domain.enums import Severity
from tui_trader.domain.orders import Fill, Order

ReconnectHook = Callable[[str], Awaitable[object]]


class ReconcilingBroker(ExchangeBroker):
    # Set by the owner (a Reconciler with the trader's book); without one, a
    # re-subscription polls the orders this broker tracks.
    reconnect_hook: ReconnectHook | None = None

    def remember(self, orders: Iterable[Order], fill_keys: Iterable[tuple[str, str]]) -> None:
        """What the journal knows after a restart: these ids are never sent again, and
        fills already booked are never emitted again."""
        orders = list(orders)
        self._tracker.remember(orders, fill_keys)
        self._sent.update(order.client_order_id for order in orders)

    def settle(self, order: Order) -> None:
        """Record and announce a final state decided here (the exchange forgot it)."""
        self._tracker.add(order)
        self._emit([order])

    async def recover_fills(self, order: Order) -> list[Fill]:
        """Fills of `order` from the account's trade history that were never emitted."""
        if not order.exchange_order_id:
            return []
        rows = await self._call(
            self.calls.trades, symbol=order.symbol, orderId=order.exchange_order_id
        )
        try:
            fills = parse_order_trades(rows, order.client_order_id, order.exchange_order_id)
        except ParseError as exc:
            raise BrokerError(f"unreadable trade history: {exc}") from None
        fresh = self._tracker.new_fills(fills)
        self._emit(fresh)
        return fresh

    async def poll(self) -> bool:
        """The REST fallback for a silent user stream: adopt what changed to the orders
        we track and refresh balances. True when something had been missed."""
        differences = await sync_orders(self, self._tracker.open_orders(), self._clock.now())
        await self.balances()
        for difference in differences:
            data = {"client_order_id": difference.client_order_id}
            self._report(difference.severity, "reconciliation", difference.message, data)
        return bool(differences)

    async def _on_resubscribed(self, reason: str) -> None:
        """After a re-subscription events may have been missed: reconcile."""
        message = f"user data re-subscribed after {reason}; reconciling"
        self._report(Severity.WARNING, "user_stream_resubscribed", message, {})
        if self.reconnect_hook is not None:
            await self.reconnect_hook(reason)
        else:
            await self.poll()

    def fill_gaps(self) -> list[Order]:
        return self._tracker.fill_gaps()

    def _busy(self) -> bool:
        return bool(self._tracker.open_orders() or self._tracker.fill_gaps())
