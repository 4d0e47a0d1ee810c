"""An AlpacaBroker on the local Alpaca trading double, its events collected: shared by
the Alpaca order tests."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal

from tests.doubles.alpaca_trading import KEY_ID, SECRET, AlpacaTradingDouble, alpaca_trading
from tui_trader.alpaca.broker import AlpacaBroker
from tui_trader.alpaca.order_rules import AssetRules
from tui_trader.alpaca.trade_stream import TradeUpdateStream
from tui_trader.alpaca.trading_api import AlpacaTrading
from tui_trader.clock import Clock, SystemClock
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.guards import GuardOrder
from tui_trader.domain.orders import Fill, Order
from tui_trader.execution.broker import BrokerEvent
from tui_trader.execution.idempotency import client_order_id
from tui_trader.resilience.retry import Backoff
from tui_trader.secrets.env import ExchangeKeys

KEYS = ExchangeKeys(KEY_ID, SECRET, "keyring")
ASSETS = {
    "AAPLUSD": AssetRules("AAPLUSD", "AAPL", fractionable=True),
    "BRKUSD": AssetRules("BRKUSD", "BRK", fractionable=False),
}


def an_order(
    intent: str,
    side: Side,
    kind: OrderType,
    qty: str,
    price: str | None = None,
    symbol: str = "AAPLUSD",
) -> Order:
    now = datetime.now(UTC)
    return Order(
        client_order_id(intent),
        intent,
        symbol,
        side,
        kind,
        Decimal(qty),
        Decimal(price) if price else None,
        OrderStatus.NEW,
        now,
        now,
        purpose=IntentPurpose.ENTRY,
    )


class Run:
    def __init__(self, double: AlpacaTradingDouble, broker: AlpacaBroker) -> None:
        self.double, self.broker = double, broker
        self.events: list[BrokerEvent] = []
        self.guards: list[GuardOrder] = []
        self.safety: list[SafetyEvent] = []
        self.stream: TradeUpdateStream | None = None
        broker.subscribe(self.events.append)
        broker.subscribe_guards(self.guards.append)

    @property
    def fills(self) -> list[Fill]:
        return [e for e in self.events if isinstance(e, Fill)]

    def filled(self, client_id: str) -> Decimal:
        return sum((f.quantity for f in self.fills if f.client_order_id == client_id), Decimal(0))


@asynccontextmanager
async def alpaca_broker(
    double: AlpacaTradingDouble | None = None,
    *,
    keys: ExchangeKeys = KEYS,
    timeout_s: float = 1.0,
    poll_s: float = 30.0,
    stream: bool = False,
    is_open: Callable[[datetime], bool] = lambda now: True,
    last_price: Decimal | None = Decimal("190.00"),
    clock: Clock | None = None,
    next_open: Callable[[datetime], datetime | None] | None = None,
) -> AsyncIterator[Run]:
    """A started broker on a running double; closed (and the double stopped) after.
    With `stream`, the trade_updates stream too (polling every `poll_s` only while it
    is down: 600 s while it is up)."""
    double = double or AlpacaTradingDouble()
    async with alpaca_trading(double) as url:
        api = AlpacaTrading(keys, url, timeout_s=timeout_s, pause_s=0.01)
        safety: list[SafetyEvent] = []
        updates = None
        if stream:
            updates = TradeUpdateStream(
                keys,
                url.replace("http://", "ws://") + "/stream",
                clock=SystemClock(),
                on_safety=safety.append,
                stale_after_s=2.0,
                backoff=Backoff(base_s=0.05, max_s=0.2, jitter=0),
            )
        broker = AlpacaBroker(
            api,
            ASSETS,
            clock=clock or SystemClock(),
            next_open=next_open,
            queue_check_s=0.02,
            is_open=is_open,
            last_price=lambda symbol: last_price,
            on_safety=safety.append,
            poll_s=poll_s,
            stream=updates,
            stream_poll_s=600,
        )
        run = Run(double, broker)
        run.safety, run.stream = safety, updates
        await broker.start()
        try:
            yield run
        finally:
            await broker.close()
