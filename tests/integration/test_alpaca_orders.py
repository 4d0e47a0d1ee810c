"""AlpacaBroker against the local Alpaca trading double (alpaca-py's TradingClient on
127.0.0.1): market orders filled and booked once, fractional shares, resting limits
polled for their partial fills and cancelled, Alpaca's refusals in its own words, and
one client_order_id sent once."""

import asyncio
from decimal import Decimal

from tests.alpaca_orders_support import alpaca_broker, an_order
from tests.doubles.alpaca_trading import AlpacaTradingDouble
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.orders import Order

BUY, SELL, MARKET, LIMIT = Side.BUY, Side.SELL, OrderType.MARKET, OrderType.LIMIT


async def test_a_market_buy_fills_and_its_fill_is_booked_once() -> None:
    async with alpaca_broker() as run:
        order = an_order("buy-1", BUY, MARKET, "2")
        result = await run.broker.submit(order)
        assert run.double.posted() == [
            {
                "symbol": "AAPL",
                "side": "buy",
                "type": "market",
                "time_in_force": "day",
                "qty": "2",
                "client_order_id": order.client_order_id,
            }
        ]
        assert result.status is OrderStatus.FILLED and result.exchange_order_id
        assert result.filled_quantity == 2 and result.average_price == Decimal("190")
        await run.broker.poll_once()
        await run.broker.query(order.client_order_id)
        (fill,) = run.fills
        assert (fill.quantity, fill.price, fill.fee, fill.fee_asset) == (
            Decimal(2),
            Decimal(190),
            Decimal(0),
            "USD",
        )
        balances = await run.broker.balances()
        assert balances["AAPL"].total == 2 and balances["USD"].total == Decimal(100_000 - 380)


async def test_a_fractional_market_order_on_a_fractionable_stock() -> None:
    async with alpaca_broker() as run:
        result = await run.broker.submit(an_order("frac", BUY, MARKET, "0.5"))
        assert result.status is OrderStatus.FILLED and run.double.posted()[0]["qty"] == "0.5"
        assert [f.quantity for f in run.fills] == [Decimal("0.5")]


async def test_a_limit_order_rests_fills_in_parts_by_polling_and_cancels() -> None:
    async with alpaca_broker(poll_s=0.05) as run:
        order = an_order("limit-1", BUY, LIMIT, "10", "185.50")
        placed = await run.broker.submit(order)
        assert placed.status is OrderStatus.NEW
        assert run.double.posted()[0] | {} == {
            "symbol": "AAPL",
            "side": "buy",
            "type": "limit",
            "limit_price": "185.5",
            "time_in_force": "gtc",
            "qty": "10",
            "client_order_id": order.client_order_id,
        }
        assert [o.client_order_id for o in await run.broker.open_orders()] == [
            order.client_order_id
        ]
        book = run.double.account.by_client(order.client_order_id)
        assert book is not None
        run.double.account.trade(book, Decimal(3), Decimal("185.40"))
        run.double.account.trade(book, Decimal(1), Decimal("185.50"))
        for _ in range(100):
            if run.filled(order.client_order_id) == 4:
                break
            await asyncio.sleep(0.02)
        assert run.filled(order.client_order_id) == 4  # both executions, in one poll or two
        assert sum((f.notional for f in run.fills), Decimal(0)) == Decimal("741.70")
        cancelled = await run.broker.cancel(order.client_order_id)
        assert cancelled is not None and cancelled.status is OrderStatus.CANCELED
        assert cancelled.filled_quantity == 4
        assert await run.broker.open_orders() == []
        assert await run.broker.cancel(order.client_order_id) is None


async def test_alpaca_refusals_keep_its_words() -> None:
    double = AlpacaTradingDouble()
    double.account.cash = Decimal(100)
    async with alpaca_broker(double) as run:
        poor = await run.broker.submit(an_order("poor", BUY, LIMIT, "10", "185"))
        assert poor.status is OrderStatus.REJECTED
        assert "insufficient buying power" in poor.reason and "403" in poor.reason
        assert [e for e in run.events if isinstance(e, Order)][-1] == poor


async def test_one_client_id_is_sent_once() -> None:
    async with alpaca_broker() as run:
        order = an_order("once", BUY, MARKET, "1")
        first = await run.broker.submit(order)
        again = await run.broker.submit(order)
        assert again == first and len(run.double.posted()) == 1
        assert run.double.account.placed == [order.client_order_id]


async def test_every_call_carries_the_key_headers_and_a_wrong_key_is_refused() -> None:
    from tui_trader.alpaca.trading_api import AlpacaRefused, AlpacaTrading
    from tui_trader.secrets.env import ExchangeKeys

    async with alpaca_broker() as run:
        await run.broker.submit(an_order("keys", BUY, MARKET, "1"))
        assert len(run.double.requests) >= 3  # account, positions, order (each key-checked)
        url = run.broker._api.url
        stranger = AlpacaTrading(ExchangeKeys("FAKE-other", "FAKE-x", "keyring"), url)
        await stranger.start()
        try:
            await stranger.account()
        except AlpacaRefused as exc:
            assert exc.status == 401 and "not authorized" in str(exc)
        else:
            raise AssertionError("a wrong key was let in")
        finally:
            await stranger.close()


async def test_the_clock_and_closing_every_position_go_through_the_sdk() -> None:
    async with alpaca_broker() as run:
        await run.broker.submit(an_order("held", BUY, MARKET, "3"))
        await run.broker.submit(an_order("resting", BUY, LIMIT, "1", "150"))
        api = run.broker._api
        clock = await api.clock()
        assert clock.is_open is True and clock.next_close.tzinfo is not None
        await api.close_all()  # DELETE /v2/positions?cancel_orders=true
        assert run.double.account.positions == {}
        assert await run.broker.open_orders() == []
