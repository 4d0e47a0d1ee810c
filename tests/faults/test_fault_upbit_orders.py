"""Upbit orders under injected faults (the local exchange double on 127.0.0.1): a 5xx, a
429, a reply that never comes in time, a reply lost after the order was placed, a body
that is not JSON, keys Upbit refuses. Whatever happens, the order is asked for by its
identifier, never sent twice, and nothing placed is lost."""

import time
from decimal import Decimal

import pytest

from tests.doubles.upbit_exchange import UpbitExchangeDouble
from tests.upbit_orders_support import KEYS, an_order, upbit_broker
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.execution.broker import BrokerError
from tui_trader.secrets.env import ExchangeKeys

POST = "POST /v1/orders"
QUERY = "GET /v1/order"


def placements(double: UpbitExchangeDouble) -> list[str]:
    return double.account.placed


@pytest.mark.fault("upbit order: 5xx", "queried by identifier, REJECTED not placed, never re-sent")
async def test_a_5xx_on_an_order_is_asked_about_not_repeated() -> None:
    double = UpbitExchangeDouble()
    double.fault(POST, "500")
    async with upbit_broker(double) as run:
        order = an_order("f-500", Side.BUY, OrderType.MARKET, "0.001")
        result = await run.broker.submit(order)
        assert result.status is OrderStatus.REJECTED and "not placed" in result.reason
        assert "HTTP 502" in result.reason
        assert placements(double) == []
        assert [m for m, p, _ in double.requests] == ["GET"]  # the query, not a second POST
        assert await run.broker.submit(order) == result  # sent once: asked, not re-sent


@pytest.mark.fault("upbit order: 429 with Remaining-Req", "nothing placed, nothing re-sent")
async def test_a_429_on_an_order_leaves_nothing_placed() -> None:
    double = UpbitExchangeDouble()
    double.fault(POST, "429")
    async with upbit_broker(double) as run:
        result = await run.broker.submit(an_order("f-429", Side.SELL, OrderType.MARKET, "0.001"))
        assert result.status is OrderStatus.REJECTED and "HTTP 429" in result.reason
        assert placements(double) == [] and len(double.requests) == 1


@pytest.mark.fault("upbit read: 5xx and 429", "retried after a pause, then answered")
async def test_reads_are_retried_after_5xx_and_429() -> None:
    double = UpbitExchangeDouble()
    async with upbit_broker(double) as run:
        order = an_order("f-read", Side.BUY, OrderType.LIMIT, "0.001", "89000000")
        await run.broker.submit(order)
        double.fault(QUERY, "500", "429")
        found = await run.broker.query(order.client_order_id)
        assert found is not None and found.status is OrderStatus.NEW
        double.fault(QUERY, "500", "500", "500")
        with pytest.raises(BrokerError, match="HTTP 502"):
            await run.broker.query(order.client_order_id)


@pytest.mark.fault("upbit: Remaining-Req sec=0", "the next request waits its turn")
async def test_no_request_left_this_second_makes_the_next_one_wait() -> None:
    double = UpbitExchangeDouble(remaining_sec=0)
    async with upbit_broker(double) as run:
        await run.broker.balances()
        started = time.monotonic()
        await run.broker.balances()
        assert time.monotonic() - started >= 0.009  # pause_s of the test client: 0.01


@pytest.mark.fault("upbit order: timeout", "queried by identifier: the placed order, one of it")
async def test_an_order_whose_reply_is_too_slow_is_found_by_identifier() -> None:
    double = UpbitExchangeDouble(slow_s=1.0)
    double.fault(POST, "slow")
    async with upbit_broker(double, timeout_s=0.3) as run:
        order = an_order("f-slow", Side.BUY, OrderType.MARKET, "0.001")
        result = await run.broker.submit(order)
        assert result.status is OrderStatus.FILLED and result.exchange_order_id
        assert placements(double) == [order.client_order_id]
        assert [f.quantity for f in run.fills] == [Decimal("0.001")]


@pytest.mark.fault("upbit order: reply lost after placing", "found by identifier, no duplicate")
async def test_a_lost_reply_never_makes_a_second_order() -> None:
    double = UpbitExchangeDouble()
    double.fault(POST, "lost")
    async with upbit_broker(double) as run:
        order = an_order("f-lost", Side.BUY, OrderType.LIMIT, "0.001", "89000000")
        result = await run.broker.submit(order)
        assert result.status is OrderStatus.NEW and result.exchange_order_id
        again = await run.broker.submit(order)  # the engine retrying: asked, not re-sent
        assert again.exchange_order_id == result.exchange_order_id
        assert placements(double) == [order.client_order_id]
        assert [o.client_order_id for o in await run.broker.open_orders()] == [
            order.client_order_id
        ]


@pytest.mark.fault("upbit order: lost reply and Upbit down", "BrokerError: outcome unknown, kept")
async def test_an_unknown_outcome_is_said_and_the_order_kept_for_later() -> None:
    double = UpbitExchangeDouble()
    double.fault(POST, "lost")
    double.fault(QUERY, "500", "500", "500")
    async with upbit_broker(double) as run:
        order = an_order("f-unknown", Side.BUY, OrderType.MARKET, "0.001")
        with pytest.raises(BrokerError, match="outcome unknown"):
            await run.broker.submit(order)
        found = await run.broker.query(order.client_order_id)  # Upbit back: it was placed
        assert found is not None and found.status is OrderStatus.FILLED
        assert placements(double) == [order.client_order_id] and len(run.fills) == 1


@pytest.mark.fault("upbit: garbage body", "a clear error; the placed order found, nothing lost")
async def test_garbage_replies_give_a_clear_error_and_lose_nothing() -> None:
    double = UpbitExchangeDouble()
    double.fault(POST, "garbage")
    async with upbit_broker(double) as run:
        order = an_order("f-garbage", Side.SELL, OrderType.MARKET, "0.001")
        result = await run.broker.submit(order)
        assert result.status is OrderStatus.FILLED  # placed despite the reply: found
        assert placements(double) == [order.client_order_id]
        double.fault(QUERY, "garbage")
        with pytest.raises(BrokerError, match="not JSON"):
            await run.broker.query(order.client_order_id)
        again = await run.broker.query(order.client_order_id)
        assert again == result and len(run.fills) == 1


@pytest.mark.fault("upbit: bad keys", "refused by Upbit, said in its words; nothing placed")
async def test_keys_upbit_does_not_accept_place_nothing() -> None:
    wrong_secret = ExchangeKeys(KEYS.api_key, "FAKE-not-the-secret-0000000000000000000", "keyring")
    unknown = ExchangeKeys("FAKE-unknown-access-key-000000000000000", KEYS.api_secret, "keyring")
    for keys, name in ((wrong_secret, "jwt_verification"), (unknown, "invalid_access_key")):
        double = UpbitExchangeDouble()
        async with upbit_broker(double, keys=keys) as run:
            result = await run.broker.submit(
                an_order("f-keys", Side.BUY, OrderType.MARKET, "0.001")
            )
            assert result.status is OrderStatus.REJECTED and name in result.reason
            with pytest.raises(BrokerError, match=name):
                await run.broker.balances()
            assert placements(double) == [] and double.requests == []
