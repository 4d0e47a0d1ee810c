"""BinanceSpotBroker against the local exchange double: signed REST and the WebSocket
API user data stream on 127.0.0.1, faults injected by the double."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble, HttpFault
from tests.integration.conftest_binance import exchange_fixture, spec_fixture  # noqa: F401
from tui_trader.binance.client import ClientSpec
from tui_trader.binance.errors import RateLimited
from tui_trader.binance.spot_broker import BinanceSpotBroker
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import OrderStatus, OrderType, Severity, Side
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Fill, Order
from tui_trader.execution.broker import BrokerError, BrokerEvent
from tui_trader.resilience.retry import Backoff

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def order(
    cid: str, qty: str = "0.002", price: str | None = "49000", side: Side = Side.BUY
) -> Order:
    kind = OrderType.LIMIT if price is not None else OrderType.MARKET
    return Order(
        cid,
        f"intent-{cid}",
        "BTCUSDT",
        side,
        kind,
        Decimal(qty),
        Decimal(price) if price is not None else None,
        OrderStatus.NEW,
        T0,
        T0,
    )


class Kit:
    def __init__(self, spec: ClientSpec, double: BinanceExchangeDouble) -> None:
        self.exchange = double
        self.events: list[BrokerEvent] = []
        self.safety: list[SafetyEvent] = []
        self._changed = asyncio.Event()
        self.broker = BinanceSpotBroker(
            spec,
            ["BTCUSDT"],
            clock=SystemClock(),
            on_safety=self.on_safety,
            request_timeout_s=0.4,
            backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
            ws_api_timeout_s=1.0,
        )
        self.broker.subscribe(self._on_event)

    def _on_event(self, event: BrokerEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def on_safety(self, event: SafetyEvent) -> None:
        self.safety.append(event)
        self._changed.set()

    def fills(self) -> list[Fill]:
        return [e for e in self.events if isinstance(e, Fill)]

    def orders(self, cid: str) -> list[Order]:
        return [e for e in self.events if isinstance(e, Order) and e.client_order_id == cid]

    def posts(self) -> int:
        return self.exchange.requests.count(("POST", "/api/v3/order"))

    async def until(self, predicate: Callable[[], bool]) -> None:
        """Wait (at most 3 s) until `predicate` holds; re-checked on every event."""
        async with asyncio.timeout(3.0):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
async def kit(spec: ClientSpec, exchange: BinanceExchangeDouble) -> AsyncIterator[Kit]:
    exchange.set_price("BTCUSDT", "50000")
    made = Kit(spec, exchange)
    await made.broker.start()
    await exchange.wait_subscriptions(1)
    yield made
    await made.broker.close()


async def test_limit_order_uses_our_client_id_and_fills_arrive_once(kit: Kit) -> None:
    placed = await kit.broker.submit(order("c-1"))
    assert placed.status is OrderStatus.NEW and placed.exchange_order_id == "1001"
    assert placed.intent_id == "intent-c-1"
    assert kit.exchange.order_requests[0]["newClientOrderId"] == "c-1"
    assert kit.exchange.order_requests[0]["price"] == "49000"

    kit.exchange.faults.duplicate_user_events = True
    await kit.exchange.fill("c-1", "0.0005", "49000")
    await kit.exchange.fill("c-1", "0.0015", "48990")
    await kit.until(lambda: kit.orders("c-1")[-1].status is OrderStatus.FILLED)
    new_event = kit.exchange.user_events[0]
    await kit.exchange.push_user_events([new_event])  # a late NEW after FILLED
    await asyncio.sleep(0.05)

    assert [(f.quantity, f.price, f.fee, f.fee_asset) for f in kit.fills()] == [
        (Decimal("0.0005"), Decimal("49000"), Decimal("0.0000005"), "BTC"),
        (Decimal("0.0015"), Decimal("48990"), Decimal("0.0000015"), "BTC"),
    ]
    assert [o.status for o in kit.orders("c-1")] == [
        OrderStatus.NEW,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
    ]
    final = kit.orders("c-1")[-1]
    assert final.filled_quantity == Decimal("0.002") and final.intent_id == "intent-c-1"
    assert final.average_price == Decimal("48992.5")  # (0.0005·49000 + 0.0015·48990) / 0.002


async def test_market_fill_in_reply_and_on_stream_is_reported_once(kit: Kit) -> None:
    filled = await kit.broker.submit(order("m-1", qty="0.001", price=None))
    assert filled.status is OrderStatus.FILLED and filled.average_price == Decimal("50000")
    await asyncio.sleep(0.05)  # the executionReport TRADE comes over the user stream too
    [fill] = kit.fills()
    assert (fill.quantity, fill.price, fill.trade_id) == (
        Decimal("0.001"),
        Decimal("50000"),
        "5001",
    )


async def test_filters_round_and_refuse_before_sending(kit: Kit) -> None:
    rules = kit.broker.rules("BTCUSDT")
    assert rules is not None
    assert (rules.tick_size, rules.step_size, rules.min_notional) == (
        Decimal("0.01"),
        Decimal("0.00001"),
        Decimal("5"),
    )
    assert rules.round_qty(Decimal("0.123456789")) == Decimal("0.12345")
    assert rules.round_price(Decimal("49000.019"), Side.BUY) == Decimal("49000.01")
    assert rules.round_price(Decimal("49000.011"), Side.SELL) == Decimal("49000.02")

    odd_step = await kit.broker.submit(order("f-1", qty="0.000015"))
    odd_tick = await kit.broker.submit(order("f-2", price="49000.005"))
    too_small = await kit.broker.submit(order("f-3", qty="0.0001"))
    unknown = await kit.broker.submit(replace(order("f-4"), symbol="DOGEUSDT"))
    assert odd_step.status is OrderStatus.REJECTED and "LOT_SIZE" in odd_step.reason
    assert "PRICE_FILTER" in odd_tick.reason
    assert "NOTIONAL: 4.9000 below minimum 5" in too_small.reason
    assert unknown.reason == "refused locally: no exchange rules for DOGEUSDT"
    assert kit.posts() == 0


async def test_exchange_rejections_carry_binance_message(kit: Kit) -> None:
    broke = await kit.broker.submit(order("r-1", qty="1"))  # 49,000 USDT > 10,000
    assert broke.status is OrderStatus.REJECTED
    assert broke.reason == "-2010 Account has insufficient balance for requested action."
    spec_ = kit.exchange.engine.specs["BTCUSDT"]
    kit.exchange.engine.specs["BTCUSDT"] = replace(spec_, min_notional=Decimal("1000"))
    tightened = await kit.broker.submit(order("r-2"))  # passes our (stale) filters
    assert tightened.reason == "-1013 Filter failure: NOTIONAL"
    assert kit.posts() == 2 and kit.exchange.engine.orders == {}


async def test_timeout_after_placing_is_found_by_client_id_and_not_resent(kit: Kit) -> None:
    kit.exchange.faults.order_hang_s = 5.0  # places the order, answers late
    found = await kit.broker.submit(order("t-1"))
    assert found.status is OrderStatus.NEW and found.exchange_order_id == "1001"
    again = await kit.broker.submit(order("t-1"))  # the engine retrying
    assert again.status is OrderStatus.NEW
    assert len(kit.exchange.order_requests) == 1 and kit.posts() == 1
    assert kit.exchange.requests.count(("GET", "/api/v3/order")) == 2


async def test_timeout_without_placing_is_rejected_as_not_placed(kit: Kit) -> None:
    kit.exchange.faults.order_hang_s = 5.0
    kit.exchange.faults.order_hang_places = False
    lost = await kit.broker.submit(order("t-2"))
    assert lost.status is OrderStatus.REJECTED
    assert lost.reason == ("not placed (request timed out); Binance: -2013 Order does not exist.")
    assert kit.posts() == 1 and kit.exchange.engine.orders == {}


@pytest.mark.parametrize(
    ("after", "status"), [(True, OrderStatus.NEW), (False, OrderStatus.REJECTED)]
)
async def test_5xx_on_placement_is_resolved_by_query(
    kit: Kit, after: bool, status: OrderStatus
) -> None:
    kit.exchange.faults.http.append(HttpFault("/api/v3/order", status=503, after=after))
    result = await kit.broker.submit(order("s-1"))
    assert result.status is status
    assert kit.posts() == 1 and len(kit.exchange.engine.orders) == (1 if after else 0)


@pytest.mark.parametrize(
    ("status", "severity"), [(429, Severity.WARNING), (418, Severity.CRITICAL)]
)
async def test_rate_limit_pauses_sending_until_retry_after(
    kit: Kit, status: int, severity: Severity
) -> None:
    kit.exchange.faults.http.append(
        HttpFault(
            "/api/v3/order",
            status=status,
            code=-1003,
            msg="Too much request weight used.",
            retry_after=0.3,
        )
    )
    with pytest.raises(RateLimited) as first:
        await kit.broker.submit(order("l-1"))
    assert first.value.retry_after_s == 0.3
    with pytest.raises(RateLimited):
        await kit.broker.submit(order("l-1"))
    assert kit.posts() == 1  # the second attempt never left the process
    [event] = [e for e in kit.safety if e.kind == "rate_limited"]
    assert event.severity is severity and event.data["retry_after_s"] == 0.3

    await asyncio.sleep(0.35)
    placed = await kit.broker.submit(order("l-1"))
    assert placed.status is OrderStatus.NEW and kit.posts() == 2


async def test_clock_skew_resyncs_offset_and_retries_once(kit: Kit) -> None:
    kit.exchange.faults.clock_skew_ms = 30_000  # our timestamps now look 30 s old
    placed = await kit.broker.submit(order("k-1"))
    assert placed.status is OrderStatus.NEW
    assert kit.posts() == 2 and len(kit.exchange.order_requests) == 1
    [event] = [e for e in kit.safety if e.kind == "clock_resync"]
    assert "-1021" in event.message


async def test_user_stream_resubscribes_and_reconciles_after_drop(kit: Kit) -> None:
    await kit.broker.submit(order("u-1"))
    await kit.broker.submit(order("u-2"))
    await kit.exchange.drop_ws_api()
    await kit.exchange.fill("u-1", "0.002", "49000")  # nobody is subscribed right now
    await kit.exchange.wait_until(lambda: kit.exchange.ws_api_connects >= 2)
    await kit.exchange.wait_subscriptions(1)
    await kit.until(lambda: len(kit.fills()) == 1)  # u-1's fill, from trade history
    assert kit.orders("u-1")[-1].status is OrderStatus.FILLED
    assert kit.exchange.requests.count(("GET", "/api/v3/myTrades")) == 1

    await kit.exchange.fill("u-2", "0.001", "49000")
    await kit.until(lambda: len(kit.fills()) == 2)
    assert [(f.client_order_id, f.quantity) for f in kit.fills()] == [
        ("u-1", Decimal("0.002")),
        ("u-2", Decimal("0.001")),
    ]
    assert [e.kind for e in kit.safety] == [
        "feed_reconnect",  # the drop, said as it happens (issue 17)
        "user_stream_resubscribed",
        "reconciliation",  # u-1: NEW here, FILLED on Binance
        "reconciliation",  # u-1: its fill recovered
        "user_stream_healthy",  # back, the gap reconciled
    ]
    down, *_, back = kit.safety
    assert down.message.startswith("Binance spot user data stream lost (")
    assert back.message.startswith("Binance spot user data stream back after ")
    (status,) = kit.broker.order_streams()
    assert status.view().state == "streaming" and status.reconciled_at is not None


async def test_cancel_query_open_orders_and_balances(kit: Kit) -> None:
    await kit.broker.submit(order("q-1"))
    assert [o.client_order_id for o in await kit.broker.open_orders()] == ["q-1"]
    balances = await kit.broker.balances()
    assert balances["USDT"].free == Decimal("9902") and balances["USDT"].locked == Decimal("98")
    canceled = await kit.broker.cancel("q-1")
    assert canceled is not None and canceled.status is OrderStatus.CANCELED
    assert await kit.broker.cancel("q-1") is None  # no longer open
    assert await kit.broker.cancel("nope") is None
    assert await kit.broker.query("nope") is None
    queried = await kit.broker.query("q-1")
    assert queried is not None and queried.status is OrderStatus.CANCELED


async def test_malformed_user_event_is_dropped_and_stream_goes_on(kit: Kit) -> None:
    await kit.broker.submit(order("b-1"))
    await kit.exchange.push_user_events([{"e": "executionReport", "s": "BTCUSDT"}])
    await kit.exchange.fill("b-1", "0.002", "49000")
    await kit.until(lambda: len(kit.fills()) == 1)
    [event] = kit.safety
    assert event.kind == "bad_user_event" and "executionReport" in event.message


async def test_ws_api_shutdown_notice_then_close_is_survived(kit: Kit) -> None:
    await kit.broker.submit(order("z-1"))
    await kit.exchange.ws_api_server_shutdown()  # python-binance only logs this one
    await kit.exchange.drop_ws_api()  # ...and then the server goes
    await kit.exchange.wait_until(lambda: kit.exchange.ws_api_connects >= 2)
    await kit.exchange.wait_subscriptions(1)
    await kit.exchange.fill("z-1", "0.002", "49000")
    await kit.until(lambda: len(kit.fills()) == 1)


async def test_repeated_5xx_opens_the_circuit_and_pauses_sending(kit: Kit) -> None:
    breaker = kit.broker._api.breaker  # type: ignore[attr-defined]
    breaker.reset_after = breaker.reset_after / 300  # 0.1 s instead of 30 s
    for n in range(breaker.failure_threshold):  # each submit: a 503, then its query 503s
        kit.exchange.faults.http.append(HttpFault("/api/v3/order", status=503))
        kit.exchange.faults.http.append(HttpFault("/api/v3/order", "GET", status=503))
        with pytest.raises(BrokerError, match="outcome unknown"):
            await kit.broker.submit(order(f"c-{n}"))
        if breaker.state == "OPEN":
            break
    kit.exchange.faults.http.clear()
    [opened] = [e for e in kit.safety if e.kind == "breaker_open"]
    assert "Binance REST" in opened.message
    posts = kit.posts()
    with pytest.raises(RateLimited, match="circuit open"):
        await kit.broker.submit(order("c-next"))
    assert kit.posts() == posts  # refused in this process: nothing reached Binance

    await asyncio.sleep(0.15)  # the pause ends; one probe goes out and succeeds
    placed = await kit.broker.submit(order("c-probe"))
    assert placed.status is OrderStatus.NEW
    assert [e.kind for e in kit.safety if e.kind.startswith("breaker")] == [
        "breaker_open",
        "breaker_closed",
    ]


async def test_a_start_cancelled_while_subscribing_leaves_nothing_running(
    spec: ClientSpec, exchange: BinanceExchangeDouble
) -> None:
    exchange.faults.delays["/ws-api/v3"] = 5.0  # the user data subscription hangs
    kit = Kit(spec, exchange)
    start = asyncio.create_task(kit.broker.start())
    async with asyncio.timeout(5):
        while ("GET", "/ws-api/v3") not in exchange.requests:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    start.cancel()
    with pytest.raises(asyncio.CancelledError):
        await start
    names = {task.get_name() for task in asyncio.all_tasks()}
    assert not {"binance-spot-user-data", "binance-spot-user-watch"} & names
    assert kit.broker._client is not None and kit.broker._client.session.closed


async def test_foreign_stop_orders_and_oco_legs_are_read_from_stream_and_rest(kit: Kit) -> None:
    """Orders placed in the web UI or by another bot, of the spot types the trader never
    sends: a stop-limit, a take-profit-limit and an OCO (stop-limit leg + limit-maker
    leg, with its listStatus event)."""
    ex = kit.exchange
    await ex.place_foreign("web_sl", "STOP_LOSS_LIMIT", "SELL", "0.1", price="44000", stop="45000")
    await ex.place_foreign(
        "web_tp", "TAKE_PROFIT_LIMIT", "SELL", "0.1", price="56000", stop="55000"
    )
    await ex.place_foreign(
        "oco_stop", "STOP_LOSS_LIMIT", "SELL", "0.2", price="43000", stop="43500", list_id=7
    )
    await ex.place_foreign("oco_limit", "LIMIT_MAKER", "SELL", "0.2", price="57000", list_id=7)
    await kit.until(lambda: [e.kind for e in kit.safety].count("foreign_order") == 4)

    listed = {o.client_order_id: o.type_label for o in await kit.broker.open_orders()}
    assert listed == {
        "web_sl": "STOP_LOSS_LIMIT",
        "web_tp": "TAKE_PROFIT_LIMIT",
        "oco_stop": "STOP_LOSS_LIMIT",
        "oco_limit": "LIMIT_MAKER",
    }
    [streamed] = kit.orders("oco_limit")
    assert (streamed.order_type, streamed.price, streamed.is_foreign) == (
        OrderType.LIMIT,
        Decimal(57000),
        True,
    )
    kinds = [e.kind for e in kit.safety]
    assert kinds.count("foreign_order") == 4 and "bad_user_event" not in kinds
    await ex.fill("oco_limit", "0.2", "57000")  # a foreign fill is a fill like any other
    await kit.until(lambda: any(f.client_order_id == "oco_limit" for f in kit.fills()))


async def test_a_foreign_order_is_never_sent(kit: Kit) -> None:
    stop = replace(order("tt-x1"), venue_type="STOP_LOSS_LIMIT")
    refused = await kit.broker.submit(stop)
    assert refused.status is OrderStatus.REJECTED
    assert refused.reason == "refused locally: STOP_LOSS_LIMIT orders are never sent"
    assert kit.posts() == 0
