"""The paper broker: the Broker protocol over a PaperExchange, driven by market events.

The market feed loop calls `on_market_event`; matching runs synchronously and every
resulting Fill and Order update goes to the listeners in causal order (fill first).
`submit` and `cancel` return their result directly and do not notify listeners."""

from tui_trader.brokers.paper_exchange import PaperExchange
from tui_trader.clock import Clock
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.execution.broker import BrokerError, BrokerListener, OrderRejected


class PaperBroker:
    name = "paper"

    def __init__(self, exchange: PaperExchange, clock: Clock) -> None:
        self.exchange = exchange
        self._clock = clock
        self._listeners: list[BrokerListener] = []
        self._closed = False

    def subscribe(self, listener: BrokerListener) -> None:
        self._listeners.append(listener)

    async def submit(self, order: Order) -> Order:
        if self._closed:
            raise OrderRejected("the paper broker is closed; nothing was placed")
        return self.exchange.submit(order, self._clock.now())

    async def cancel(self, client_order_id: str) -> Order | None:
        if self._closed:
            raise BrokerError("the paper broker is closed")
        return self.exchange.cancel(client_order_id, self._clock.now())

    async def query(self, client_order_id: str) -> Order | None:
        return self.exchange.get(client_order_id)

    async def open_orders(self) -> list[Order]:
        return self.exchange.open_orders()

    async def positions(self) -> dict[str, Position]:
        return self.exchange.positions()

    async def balances(self) -> dict[str, Balance]:
        return self.exchange.balances()

    async def close(self) -> None:
        """Stop taking orders and stop matching; queries keep answering."""
        self._closed = True

    def on_market_event(self, event: Tick | Candle) -> None:
        if self._closed:
            return
        if isinstance(event, Tick):
            updates = self.exchange.on_tick(event)
        else:
            updates = self.exchange.on_candle(event)
        for update in updates:
            for listener in self._listeners:
                listener(update)
