"""An UpbitBroker on the local Upbit exchange double, its events collected: shared by the
Upbit order tests (integration and faults)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal

from tests.doubles.upbit_exchange import ACCESS, SECRET, UpbitExchangeDouble, upbit_exchange
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Fill, Order
from tui_trader.execution.broker import BrokerEvent
from tui_trader.execution.idempotency import client_order_id
from tui_trader.resilience.retry import Backoff
from tui_trader.secrets.env import ExchangeKeys
from tui_trader.upbit.broker import UpbitBroker
from tui_trader.upbit.exchange import UpbitExchange
from tui_trader.upbit.private_stream import MyOrderStream
from tui_trader.upbit.rules import upbit_rules

KEYS = ExchangeKeys(ACCESS, SECRET, "keyring")
LAST = Decimal(90_000_000)  # the double's KRW-BTC price


def an_order(intent: str, side: Side, kind: OrderType, qty: str, price: str | None = None) -> Order:
    now = datetime.now(UTC)
    return Order(client_order_id(intent), intent, "BTCKRW", side, kind, Decimal(qty),
                 Decimal(price) if price else None, OrderStatus.NEW, now, now,
                 purpose=IntentPurpose.ENTRY)  # fmt: skip


class Run:
    def __init__(self, double: UpbitExchangeDouble, broker: UpbitBroker) -> None:
        self.double, self.broker = double, broker
        self.events: list[BrokerEvent] = []
        self.safety: list[SafetyEvent] = []
        self.stream: MyOrderStream | None = None
        broker.subscribe(self.events.append)

    @property
    def fills(self) -> list[Fill]:
        return [e for e in self.events if isinstance(e, Fill)]


@asynccontextmanager
async def upbit_broker(
    double: UpbitExchangeDouble | None = None,
    *,
    keys: ExchangeKeys = KEYS,
    timeout_s: float = 1.0,
    poll_s: float = 30.0,
    stream_keys: ExchangeKeys | None = None,
    stale_after_s: float = 1.0,
) -> AsyncIterator[Run]:
    """A started broker on a running double; closed (and the double stopped) after.
    With `stream_keys`, the private myOrder stream too, signed with them (polling then
    goes every `poll_s` only while the stream is down: 600 s while it is up)."""
    double = double or UpbitExchangeDouble()
    async with upbit_exchange(double) as url:
        exchange = UpbitExchange(keys, url, timeout_s=timeout_s, pause_s=0.01)
        rules = {"BTCKRW": upbit_rules("BTCKRW", "KRW", Decimal(1000))}
        safety: list[SafetyEvent] = []
        stream = None
        if stream_keys is not None:
            ws_url = url.replace("http://", "ws://") + "/websocket/v1/private"
            stream = MyOrderStream(stream_keys, ["KRW-BTC"], clock=SystemClock(), url=ws_url,
                                   on_safety=safety.append, stale_after_s=stale_after_s,
                                   backoff=Backoff(base_s=0.05, max_s=0.2, jitter=0))  # fmt: skip
        broker = UpbitBroker(exchange, rules, quote="KRW", clock=SystemClock(),
                             last_price=lambda symbol: LAST, on_safety=safety.append,
                             poll_s=poll_s, stream=stream, stream_poll_s=600)  # fmt: skip
        run = Run(double, broker)
        run.safety, run.stream = safety, stream
        await broker.start()
        try:
            yield run
        finally:
            await broker.close()
