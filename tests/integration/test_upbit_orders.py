"""UpbitBroker against the local Upbit exchange double (signed REST on 127.0.0.1): market
buys by KRW amount, market sells by volume, resting limit orders polled for their fills,
cancels, balances, local refusals before sending, and Upbit's refusals in its own words."""

import asyncio
from decimal import Decimal

from tests.doubles.upbit_exchange import UpbitExchangeDouble
from tests.upbit_orders_support import an_order, upbit_broker
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.orders import Order

BUY, SELL, MARKET, LIMIT = Side.BUY, Side.SELL, OrderType.MARKET, OrderType.LIMIT


def posted(double: UpbitExchangeDouble) -> list[dict[str, str]]:
    return [params for method, path, params in double.requests if method == "POST"]


async def test_a_market_buy_spends_krw_and_its_fill_comes_once() -> None:
    async with upbit_broker() as run:
        order = an_order("buy-1", BUY, MARKET, "0.001")
        result = await run.broker.submit(order)
        sent = {"market": "KRW-BTC", "side": "bid", "ord_type": "price", "price": "90000"}
        assert posted(run.double) == [sent | {"identifier": order.client_order_id}]
        assert result.status is OrderStatus.FILLED and result.exchange_order_id
        assert result.filled_quantity == result.quantity == Decimal("0.001")
        assert result.average_price == Decimal(90_000_000)
        await run.broker.poll_once()  # asking again books nothing twice
        (fill,) = run.fills
        assert (fill.quantity, fill.price, fill.fee, fill.fee_asset) == (
            Decimal("0.001"), Decimal(90_000_000), Decimal("45.0000"), "KRW")  # fmt: skip
        assert fill.client_order_id == order.client_order_id


async def test_a_market_sell_sells_a_volume() -> None:
    async with upbit_broker() as run:
        result = await run.broker.submit(an_order("sell-1", SELL, MARKET, "0.002"))
        assert posted(run.double)[0]["ord_type"] == "market"
        assert posted(run.double)[0]["volume"] == "0.002" and "price" not in posted(run.double)[0]
        assert result.status is OrderStatus.FILLED and result.filled_quantity == Decimal("0.002")
        assert [f.quantity for f in run.fills] == [Decimal("0.002")]
        balances = await run.broker.balances()
        assert balances["BTC"].free == Decimal("0.008")
        assert balances["KRW"].free == Decimal(1_000_000) + Decimal(180_000) - Decimal(90)


async def test_a_limit_order_rests_fills_in_parts_by_polling_and_cancels() -> None:
    async with upbit_broker(poll_s=0.05) as run:
        order = an_order("limit-1", BUY, LIMIT, "0.002", "89000000")
        placed = await run.broker.submit(order)
        assert placed.status is OrderStatus.NEW and posted(run.double)[0]["price"] == "89000000"
        assert [o.client_order_id for o in await run.broker.open_orders()] == [
            order.client_order_id]  # fmt: skip
        book = run.double.account.find(order.client_order_id)
        assert book is not None
        run.double.account.trade(book, Decimal("0.0005"), placed.created_at)
        for _ in range(100):  # the broker's own polling finds the trade
            if run.fills:
                break
            await asyncio.sleep(0.02)
        assert [f.quantity for f in run.fills] == [Decimal("0.0005")]
        partial = [e for e in run.events if isinstance(e, Order)][-1]
        assert partial.status is OrderStatus.PARTIALLY_FILLED
        cancelled = await run.broker.cancel(order.client_order_id)
        assert cancelled is not None and cancelled.status is OrderStatus.CANCELED
        assert cancelled.filled_quantity == Decimal("0.0005")
        assert await run.broker.open_orders() == []
        assert await run.broker.cancel(order.client_order_id) is None  # no such open order


async def test_upbit_rules_are_enforced_before_anything_is_sent() -> None:
    async with upbit_broker() as run:
        off_tick = await run.broker.submit(an_order("t-1", BUY, LIMIT, "0.001", "89000500"))
        too_small = await run.broker.submit(an_order("t-2", BUY, MARKET, "0.00005"))
        odd_volume = await run.broker.submit(an_order("t-3", SELL, MARKET, "0.000000001"))
        assert off_tick.status is OrderStatus.REJECTED
        assert "not a multiple of Upbit's unit 1000" in off_tick.reason
        assert "order value 4500 KRW below Upbit's minimum 5000" in too_small.reason
        assert "volume 1E-9" in odd_volume.reason or "0.000000001" in odd_volume.reason
        assert all(r.reason.startswith("refused locally: ") for r in (off_tick, too_small))
        assert posted(run.double) == []


async def test_upbit_refusals_keep_its_words_but_never_its_escape_sequences() -> None:
    double = UpbitExchangeDouble()
    double.account.balances["KRW"] = Decimal(10_000)
    async with upbit_broker(double) as run:
        poor = await run.broker.submit(an_order("p-1", BUY, LIMIT, "0.001", "89000000"))
        assert poor.status is OrderStatus.REJECTED
        assert (
            "insufficient_funds_bid" in poor.reason
            and "주문가능한 금액이 부족합니다" in poor.reason
        )
        double.fault("POST /v1/orders", "hostile")
        hostile = await run.broker.submit(an_order("p-2", BUY, MARKET, "0.0001"))
        assert hostile.status is OrderStatus.REJECTED and "create_bid_error" in hostile.reason
        assert "\x1b" not in hostile.reason and "\x07" not in hostile.reason
        assert "\n" not in hostile.reason and "bad red order" in hostile.reason


async def test_one_client_id_is_sent_once() -> None:
    async with upbit_broker() as run:
        order = an_order("once", BUY, MARKET, "0.001")
        first = await run.broker.submit(order)
        again = await run.broker.submit(order)
        assert again == first and len(posted(run.double)) == 1
        assert run.double.account.placed == [order.client_order_id]


async def test_every_request_is_signed_with_a_fresh_nonce_and_its_query_hash() -> None:
    async with upbit_broker() as run:
        await run.broker.submit(an_order("sig", BUY, LIMIT, "0.001", "89000000"))
        await run.broker.query(an_order("sig", BUY, LIMIT, "0.001").client_order_id)
        await run.broker.open_orders()
        await run.broker.balances()
        # The double verified each token (signature, nonce, hash) before recording it.
        assert len(run.double.requests) == len(run.double.nonces) == 4
