"""Reconciliation with the exchange double: a silent user stream caught by the
watchdog and covered by REST polling, and a restart after kill -9 with orders resting,
filled and forgotten while the process was dead."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.integration.conftest_binance import exchange_fixture, spec_fixture  # noqa: F401
from tui_trader.binance.client import ClientSpec
from tui_trader.binance.spot_broker import BinanceSpotBroker
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Severity, Side
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.execution.broker import BrokerEvent
from tui_trader.execution.reconcile import Reconciler
from tui_trader.resilience.retry import Backoff
from tui_trader.safety.trading_state import HoldReason, TradingChange, TradingMode, TradingState

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def heard_state() -> tuple[TradingState, list[TradingChange]]:
    changes: list[TradingChange] = []
    return TradingState(changes.append), changes


def order(cid: str, qty: str = "0.002", price: str = "49000") -> Order:
    return Order(
        cid,
        f"intent-{cid}",
        "BTCUSDT",
        Side.BUY,
        OrderType.LIMIT,
        Decimal(qty),
        Decimal(price),
        OrderStatus.NEW,
        T0,
        T0,
        purpose=IntentPurpose.TAKE_PROFIT,
    )


class Book:
    """The trader's side as the journal rebuilds it after a restart: the newest state
    of each order and every fill, applied from broker events."""

    def __init__(self, orders: list[Order], balances: dict[str, Balance]) -> None:
        self.orders = {o.client_order_id: o for o in orders}
        self.fills: list[Fill] = []
        self.balance_view = balances
        self.changed = asyncio.Event()

    def on_event(self, event: BrokerEvent) -> None:
        if isinstance(event, Fill):
            self.fills.append(event)
        else:
            self.orders[event.client_order_id] = event
        self.changed.set()

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open]

    def balances(self) -> dict[str, Balance]:
        return self.balance_view

    def positions(self) -> dict[str, Position]:
        return {}

    async def fill_keys(self) -> set[tuple[str, str]]:
        return {(f.symbol, f.trade_id) for f in self.fills}


class Kit:
    def __init__(self, spec: ClientSpec, **options: float) -> None:
        self.safety: list[SafetyEvent] = []
        self.events: list[BrokerEvent] = []
        self.changed = asyncio.Event()
        self.broker = BinanceSpotBroker(
            spec,
            ["BTCUSDT"],
            clock=SystemClock(),
            on_safety=self._on_safety,
            request_timeout_s=0.5,
            backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
            ws_api_timeout_s=1.0,
            **options,
        )
        self.broker.subscribe(self._on_event)

    def _on_event(self, event: BrokerEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def _on_safety(self, event: SafetyEvent) -> None:
        self.safety.append(event)
        self.changed.set()

    def kinds(self) -> list[str]:
        return [e.kind for e in self.safety]

    def fills(self) -> list[Fill]:
        return [e for e in self.events if isinstance(e, Fill)]

    async def until(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(4.0):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def kits(spec: ClientSpec) -> AsyncIterator[Callable[..., Kit]]:
    made: list[Kit] = []

    def make(**options: float) -> Kit:
        made.append(Kit(spec, **options))
        return made[-1]

    yield make
    for kit in made:
        await kit.broker.close()


async def test_silent_user_stream_falls_back_to_polling_which_finds_the_fill(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    exchange.set_price("BTCUSDT", "50000")
    kit = kits(silence_s=0.2, poll_s=0.1)
    await kit.broker.start()
    await exchange.wait_subscriptions(1)
    await kit.broker.submit(order("p-1"))
    exchange.silence_user_stream()  # the subscription dies without a word
    await exchange.fill("p-1", "0.002", "48995")  # its executionReport goes nowhere

    await kit.until(lambda: len(kit.fills()) == 1)
    [fill] = kit.fills()
    assert (fill.client_order_id, fill.quantity, fill.price, fill.trade_id) == (
        "p-1",
        Decimal("0.002"),
        Decimal("48995"),
        "5001",
    )
    await kit.until(lambda: "reconciliation" in kit.kinds())  # the poll has finished
    assert kit.broker.last_balances["BTC"].free == Decimal("1.001998")  # polled account
    assert kit.kinds()[:3] == ["user_stream_silent", "reconciliation", "reconciliation"]
    assert ("GET", "/api/v3/myTrades") in exchange.requests

    # The poll proved the stream dead: it was re-subscribed, and events flow again.
    await exchange.wait_until(lambda: exchange.ws_api_connects >= 2)
    await exchange.wait_subscriptions(1)
    await kit.broker.submit(order("p-2"))
    await exchange.fill("p-2", "0.001", "49000")
    await kit.until(lambda: "user_stream_healthy" in kit.kinds())
    await kit.until(lambda: len(kit.fills()) == 2)
    assert [f.client_order_id for f in kit.fills()] == ["p-1", "p-2"]


async def test_quiet_stream_without_working_orders_is_not_polled(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    kit = kits(silence_s=0.1, poll_s=0.05)
    await kit.broker.start()
    await asyncio.sleep(0.4)
    assert kit.safety == [] and ("GET", "/api/v3/openOrders") not in exchange.requests


async def test_restart_after_kill_9_adopts_the_exchange_state_exactly(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    exchange.set_price("BTCUSDT", "50000")
    old = kits()  # the process that will die
    await old.broker.start()
    resting = await old.broker.submit(order("k-1"))
    filled_later = await old.broker.submit(order("k-2", qty="0.003", price="48000"))
    forgotten = order("k-3")  # journaled as NEW, never reached Binance
    # kill -9: the old broker is dropped without close; meanwhile on the exchange...
    await exchange.fill("k-2", "0.001", "48000")
    await exchange.fill("k-2", "0.002", "47990")
    by_hand, _ = exchange.engine.place(
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": "51000",
            "timeInForce": "GTC",
            "newClientOrderId": "manual-1",
        },
        exchange.now_ms(),
    )

    actual = {a: Balance(a, b.free, b.locked) for a, b in exchange_balances(exchange).items()}
    book = Book([resting, filled_later, forgotten], actual)
    new = kits()
    new.broker.subscribe(book.on_event)
    trading, changes = heard_state()
    reconciler = Reconciler(
        new.broker,
        book,
        clock=SystemClock(),
        on_safety=new.safety.append,
        trading=trading,
    )
    await new.broker.start()
    result = await reconciler("start")

    assert book.orders["k-1"] == resting  # the same order, nothing to adopt
    adopted = book.orders["k-2"]
    assert (adopted.status, adopted.filled_quantity, adopted.intent_id, adopted.purpose) == (
        OrderStatus.FILLED,
        Decimal("0.003"),
        "intent-k-2",
        IntentPurpose.TAKE_PROFIT,
    )
    assert adopted.average_price == Decimal("47993.33333333333333333333333")
    assert [(f.quantity, f.price, f.trade_id) for f in book.fills] == [
        (Decimal("0.001"), Decimal("48000"), "5001"),
        (Decimal("0.002"), Decimal("47990"), "5002"),
    ]
    manual = book.orders["manual-1"]
    assert (manual.status, manual.intent_id, manual.exchange_order_id) == (
        OrderStatus.NEW,
        "",
        str(by_hand.order_id),
    )
    gone = book.orders["k-3"]
    assert gone.status is OrderStatus.CANCELED and "unknown to Binance" in gone.reason
    assert [(e.severity, e.kind) for e in new.safety] == [
        (Severity.WARNING, "foreign_order"),  # manual-1, placed by hand: seen once
        (Severity.INFO, "reconciliation"),  # k-2 filled while we were dead
        (Severity.CRITICAL, "reconciliation"),  # k-3 unknown to Binance
        (Severity.WARNING, "reconciliation"),  # manual-1 adopted
        (Severity.WARNING, "reconciliation"),  # k-2's two fills recovered
    ]
    assert not result.block_entries and trading.mode is TradingMode.ACTIVE
    assert [c.summary for c in changes] == [
        "ACTIVE → REDUCING: held reconciling: with binance-spot (start) by reconciliation",
        "REDUCING → ACTIVE: released reconciling: with binance-spot (start) by reconciliation",
    ]
    assert len(exchange.order_requests) == 2  # nothing was sent again

    again = await reconciler("second pass")  # a second pass finds nothing new
    assert again.differences == () and len(book.fills) == 2


async def test_less_on_the_exchange_than_believed_keeps_entries_blocked(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    book = Book([], {"USDT": Balance("USDT", Decimal(10500)), "BTC": Balance("BTC", Decimal(0))})
    kit = kits()
    trading, changes = heard_state()
    reconciler = Reconciler(
        kit.broker,
        book,
        clock=SystemClock(),
        on_safety=kit.safety.append,
        trading=trading,
        tolerance=Decimal("0.01"),
    )
    await kit.broker.start()
    result = await reconciler("start")

    assert result.block_entries
    btc, usdt = result.differences
    assert usdt.blocking and usdt.message == (
        "USDT: exchange holds 10000.00000000, the trader believes 10500 (-500.00000000)"
    )
    assert not btc.blocking and "BTC: exchange holds 1.00000000" in btc.message
    disagreement = trading.held(HoldReason.EXCHANGE_DISAGREES)
    assert disagreement is not None and disagreement.detail == usdt.message
    assert trading.refusal(IntentPurpose.ENTRY) == f"REDUCING: exchange disagrees: {usdt.message}"
    assert all(c.after is TradingMode.REDUCING for c in changes)  # never ACTIVE in between

    book.balance_view = {"USDT": Balance("USDT", Decimal("10000.005"))}  # within tolerance
    assert not (await reconciler("operator fixed it")).block_entries
    assert trading.mode is TradingMode.ACTIVE and not trading.holds


def exchange_balances(exchange: BinanceExchangeDouble) -> dict[str, Balance]:
    engine = exchange.engine
    assets = set(engine.free) | set(engine.locked)
    return {
        a: Balance(a, engine.free.get(a, Decimal(0)), engine.locked.get(a, Decimal(0)))
        for a in assets
    }


FOREIGN_SPOT = [  # (client id, type, price, stop) of orders placed outside the trader
    ("web_sl", "STOP_LOSS_LIMIT", "44000", "45000"),
    ("web_tp", "TAKE_PROFIT_LIMIT", "56000", "55000"),
    ("web_maker", "LIMIT_MAKER", "57000", "0"),
]


async def test_foreign_order_types_are_adopted_and_reconciliation_completes(
    exchange: BinanceExchangeDouble, kits: Callable[..., Kit]
) -> None:
    """Orders of types the trader never sends, resting on the account at start: the
    reconciliation reads them (it used to fail on the first one and hold entries)."""
    exchange.set_price("BTCUSDT", "50000")
    for cid, kind, price, stop in FOREIGN_SPOT:
        exchange.engine.place_foreign(
            cid, kind, "SELL", Decimal("0.1"), exchange.now_ms(),
            price=Decimal(price), stop=Decimal(stop),
        )  # fmt: skip
    book = Book([], exchange_balances(exchange))
    kit = kits()
    kit.broker.subscribe(book.on_event)
    trading, _ = heard_state()
    reconciler = Reconciler(
        kit.broker, book, clock=SystemClock(), on_safety=kit.safety.append, trading=trading
    )
    await kit.broker.start()
    result = await reconciler("start")

    assert not result.block_entries and trading.mode is TradingMode.ACTIVE
    adopted = {cid: (o.type_label, o.is_foreign) for cid, o in book.orders.items()}
    assert adopted == {cid: (kind, True) for cid, kind, _, _ in FOREIGN_SPOT}
    assert kit.kinds().count("foreign_order") == 3
    assert all("is open on binance-spot but unknown here" in d.message for d in result.differences)
