from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from tui_trader.brokers.paper import PaperBroker
from tui_trader.brokers.paper_exchange import PaperExchange
from tui_trader.clock import SimulatedClock
from tui_trader.domain import Balance, Candle, Fill, Order, OrderStatus, OrderType, Side, Tick
from tui_trader.execution.broker import Broker, BrokerError, BrokerEvent, OrderRejected

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SYMBOL = "BTCUSDT"


def limit_buy(cid: str, qty: str = "1", price: str = "99") -> Order:
    return Order(
        client_order_id=cid,
        intent_id=f"i-{cid}",
        symbol=SYMBOL,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=D(qty),
        price=D(price),
        status=OrderStatus.NEW,
        created_at=T0,
        updated_at=T0,
    )


def tick(second: int, price: str, volume: str = "100") -> Tick:
    p = D(price)
    return Tick(SYMBOL, T0 + timedelta(seconds=second), p, p, p, D(volume))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest.fixture
def broker(clock: SimulatedClock) -> PaperBroker:
    return PaperBroker(PaperExchange("USDT", {"USDT": D("1000")}), clock)


async def test_listener_gets_fill_then_order_update(
    broker: PaperBroker, clock: SimulatedClock
) -> None:
    seen: list[BrokerEvent] = []
    broker.subscribe(seen.append)
    clock.advance(timedelta(seconds=3))
    placed = await broker.submit(limit_buy("b1"))
    assert placed.status is OrderStatus.NEW and placed.updated_at == T0 + timedelta(seconds=3)
    assert seen == []  # the caller has the submit result; listeners hear about matching
    assert await broker.open_orders() == [placed]
    broker.on_market_event(tick(4, "99"))
    assert seen == []
    broker.on_market_event(tick(5, "98"))
    fill, update = seen
    assert isinstance(fill, Fill) and (fill.quantity, fill.price) == (D("1"), D("99"))
    assert fill.fee == D("0.099") and fill.trade_id == "b1-1"
    assert isinstance(update, Order) and update.status is OrderStatus.FILLED
    assert await broker.query("b1") == update
    assert await broker.open_orders() == []
    balances = await broker.balances()
    assert balances["USDT"] == Balance("USDT", D("900.901"))
    assert balances["BTC"] == Balance("BTC", D("1"))


async def test_every_listener_hears_every_update(broker: PaperBroker) -> None:
    first: list[BrokerEvent] = []
    second: list[BrokerEvent] = []
    broker.subscribe(first.append)
    broker.subscribe(second.append)
    await broker.submit(limit_buy("b1", qty="8"))
    broker.on_market_event(tick(1, "98", volume="16"))  # 25 % of 16: fills 4 of 8
    broker.on_market_event(tick(2, "98", volume="16"))
    assert first == second and len(first) == 4
    statuses = [e.status for e in first if isinstance(e, Order)]
    assert statuses == [OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED]


async def test_cancel_query_and_rejection(broker: PaperBroker, clock: SimulatedClock) -> None:
    assert await broker.query("nope") is None
    too_big = await broker.submit(limit_buy("big", qty="100"))
    assert too_big.status is OrderStatus.REJECTED and "insufficient balance" in too_big.reason
    await broker.submit(limit_buy("b1"))
    clock.advance(timedelta(seconds=1))
    canceled = await broker.cancel("b1")
    assert canceled is not None and canceled.status is OrderStatus.CANCELED
    assert canceled.updated_at == T0 + timedelta(seconds=1)
    assert await broker.cancel("b1") is None
    assert (await broker.balances())["USDT"] == Balance("USDT", D("1000"))


async def test_candles_drive_matching_when_filling_on_candles(clock: SimulatedClock) -> None:
    exchange = PaperExchange("USDT", {"USDT": D("1000")}, fill_on_candles=True)
    broker = PaperBroker(exchange, clock)
    seen: list[BrokerEvent] = []
    broker.subscribe(seen.append)
    await broker.submit(limit_buy("b1"))
    close = T0 + timedelta(minutes=1)
    candle = Candle(SYMBOL, T0, close, D(100), D(101), D(98), D(99), D(10))
    broker.on_market_event(candle)
    assert [type(e) for e in seen] == [Fill, Order]
    assert isinstance(seen[0], Fill) and seen[0].ts == close and seen[0].quantity == D("1")


async def test_closed_broker_takes_no_orders_and_stops_matching(broker: PaperBroker) -> None:
    seen: list[BrokerEvent] = []
    broker.subscribe(seen.append)
    await broker.submit(limit_buy("b1"))
    await broker.close()
    with pytest.raises(OrderRejected, match="closed"):
        await broker.submit(limit_buy("b2"))
    with pytest.raises(BrokerError, match="closed"):
        await broker.cancel("b1")
    broker.on_market_event(tick(1, "90"))
    assert seen == []
    still_open = await broker.query("b1")
    assert still_open is not None and still_open.status is OrderStatus.NEW


def test_paper_broker_is_a_broker(broker: PaperBroker) -> None:
    typed: Broker = broker
    assert typed.name == "paper"
