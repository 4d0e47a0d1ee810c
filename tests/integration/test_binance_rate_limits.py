"""Slowing down before Binance's rate limits: the limits come from exchangeInfo, the usage
from each reply's X-MBX-* headers (the exchange double sends both), and a request that
would pass a nearly used-up limit waits for the window to reset, or is not sent at all
when that is far off. Also the periodic clock resync python-binance does not do."""

import asyncio
from typing import Any

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.integration.conftest_binance import exchange_fixture, spec_fixture  # noqa: F401
from tests.integration.test_binance_spot_broker import Kit, order
from tui_trader.binance.caller import ApiCaller
from tui_trader.binance.client import ClientSpec, close_client
from tui_trader.binance.errors import RateLimited
from tui_trader.domain.enums import OrderStatus, Severity


async def started(spec: ClientSpec, exchange: BinanceExchangeDouble) -> Kit:
    exchange.set_price("BTCUSDT", "50000")
    kit = Kit(spec, exchange)
    await kit.broker.start()
    await exchange.wait_subscriptions(1)
    return kit


async def test_near_the_weight_limit_requests_wait_for_the_next_window(
    spec: ClientSpec, exchange: BinanceExchangeDouble
) -> None:
    # A 1-second weight window keeps the test short; Binance's is 1 minute.
    limit = {"rateLimitType": "REQUEST_WEIGHT", "interval": "SECOND", "intervalNum": 1}
    exchange.rate_limits = [limit | {"limit": 100}]
    exchange.weight_header = "X-MBX-USED-WEIGHT-1S"
    exchange.used_weight = 95  # every reply from now on says >= 96 of 100
    kit = await started(spec, exchange)
    try:
        for cid in ("w-1", "w-2"):
            placed = await kit.broker.submit(order(cid))
            assert placed.status is OrderStatus.NEW
        event = next(e for e in kit.safety if e.kind == "rate_slowdown")
        assert event.severity is Severity.WARNING
        assert event.data["reason"].startswith("x-mbx-used-weight-1s at ")
        assert event.data["reason"].endswith(" of 100")
        assert 0 < event.data["wait_s"] <= 1.0
        # Every reply says >= 96 of 100: from exchangeInfo on, at most one REST request a
        # second (the WebSocket API handshake is not REST).
        first = exchange.requests.index(("GET", "/api/v3/exchangeInfo"))
        rest = zip(exchange.requests[first:], exchange.request_times[first:], strict=True)
        seconds = [int(t) for (_, path), t in rest if path.startswith("/api/")]
        assert len(seconds) == 3 and seconds == sorted(set(seconds))
    finally:
        await kit.broker.close()


async def test_a_nearly_used_up_daily_order_count_refuses_orders_locally(
    spec: ClientSpec, exchange: BinanceExchangeDouble
) -> None:
    kit = await started(spec, exchange)
    try:
        exchange.order_count_1d = 179_999  # the next order's reply says 180,000 of 200,000
        await kit.broker.submit(order("d-1"))
        with pytest.raises(RateLimited, match=r"x-mbx-order-count-1d at 180000 of 200000"):
            await kit.broker.submit(order("d-2"))
        assert kit.posts() == 1  # d-2 never left the process
        [event] = [e for e in kit.safety if e.kind == "rate_slowdown"]
        assert event.data["wait_s"] > 10
        # Weight is not an order count: queries still go out.
        assert await kit.broker.open_orders() != []
    finally:
        await kit.broker.close()


async def test_the_clock_offset_is_measured_again_before_it_drifts_into_1021(
    spec: ClientSpec, exchange: BinanceExchangeDouble
) -> None:
    client = await spec.create()
    try:
        reports: list[tuple[Any, ...]] = []
        caller = ApiCaller(
            client, timeout_s=1.0, report=lambda *event: reports.append(event), resync_every_s=0.05
        )
        await asyncio.sleep(0.06)
        exchange.faults.clock_skew_ms = 30_000  # our timestamps would now be 30 s old
        account = await caller(client.get_account)
        assert "balances" in account
        assert 29_000 < client.timestamp_offset <= 30_000
        signed = [r for r in exchange.requests if r[1] in ("/api/v3/time", "/api/v3/account")]
        assert signed[-2:] == [("GET", "/api/v3/time"), ("GET", "/api/v3/account")]
        assert exchange.requests.count(("GET", "/api/v3/account")) == 1  # no -1021 retry
        assert reports == []  # a routine resync is not a safety event
    finally:
        await close_client(client)
