"""Stops Alpaca holds for us (GuardVenue, as Binance's): a position's stop and
take-profit go as one OCO order (or a lone stop), GTC, in whole shares; a restarted
broker recognises them by client id (nothing duplicated); a stop that fires is booked
under the guard's leg id and the guard is DONE; one that fired while the trader was
down is booked by the restart; the trader's own order book never lists them."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from tests.alpaca_orders_support import alpaca_broker, an_order
from tests.doubles.alpaca_trading import AlpacaTradingDouble
from tui_trader.domain.enums import OrderType, Side
from tui_trader.domain.guards import GuardKind, GuardOrder, GuardStatus, guard_client_id


def bracket(qty: str = "5", nonce: int = 1, stop: str = "180", take: str = "205") -> GuardOrder:
    cid = guard_client_id("AAPLUSD", GuardKind.BRACKET, Decimal(stop), nonce)
    return GuardOrder(
        cid,
        "AAPLUSD",
        GuardKind.BRACKET,
        Side.SELL,
        Decimal(qty),
        Decimal(stop),
        take_profit=Decimal(take),
    )


async def until(check: Callable[[], bool]) -> None:
    for _ in range(150):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not in time")


async def test_a_bracket_guard_is_one_oco_order_held_by_alpaca_and_found_again() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double) as run:
        await run.broker.submit(an_order("entry", Side.BUY, OrderType.MARKET, "5"))
        guard = bracket()
        placed = await run.broker.place_guard(guard)
        assert placed.status is GuardStatus.OPEN and run.guards == [placed]
        assert double.posted()[-1] == {
            "symbol": "AAPL",
            "qty": "5",
            "side": "sell",
            "time_in_force": "gtc",
            "client_order_id": guard.client_id,
            "type": "limit",
            "order_class": "oco",
            "take_profit": {"limit_price": "205"},
            "stop_loss": {"stop_price": "180"},
        }
        assert await run.broker.open_orders() == []  # guards are not the book's orders
    async with alpaca_broker(double) as restarted:
        (found,) = await restarted.broker.open_guards()
        assert (found.client_id, found.kind, found.quantity, found.trigger, found.take_profit) == (
            guard.client_id,
            GuardKind.BRACKET,
            Decimal(5),
            Decimal(180),
            Decimal(205),
        )
        assert restarted.broker.guard_kinds("AAPLUSD") == {GuardKind.STOP, GuardKind.BRACKET}


async def test_a_stop_that_fires_is_booked_under_the_guard_and_ends_it() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double, stream=True) as run:
        await until(lambda: run.stream is not None and run.stream.up and bool(double.sockets))
        await run.broker.submit(an_order("entry", Side.BUY, OrderType.MARKET, "5"))
        guard = await run.broker.place_guard(bracket())
        double.account.set_price("AAPL", Decimal("179.50"))  # through the stop
        await until(lambda: any(g.status is GuardStatus.DONE for g in run.guards))
        await asyncio.sleep(0.1)  # the take-profit's cancel follows: no CANCELED said
        assert [g.status for g in run.guards] == [GuardStatus.OPEN, GuardStatus.DONE]
        (fill,) = [f for f in run.fills if f.client_order_id.startswith(guard.client_id)]
        assert fill.client_order_id == guard.client_id + "-s"
        assert (fill.side, fill.quantity, fill.price) == (Side.SELL, Decimal(5), Decimal("179.5"))
        assert await run.broker.open_guards() == [] and "AAPL" not in double.account.positions


async def test_a_guard_that_fired_while_the_trader_was_down_is_booked_by_the_restart() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double) as before:
        await before.broker.submit(an_order("entry", Side.BUY, OrderType.MARKET, "5"))
        guard = await before.broker.place_guard(bracket())
    await asyncio.sleep(0.01)
    since = datetime.now(UTC)  # the guard was placed before: it is found all the same
    double.account.set_price("AAPL", Decimal("206"))  # the take-profit fills while down
    async with alpaca_broker(double) as restarted:
        fills = await restarted.broker.recover_fired_guards(since, set())
        assert [(f.client_order_id, f.quantity, f.price) for f in fills] == [
            (guard.client_id + "-t", Decimal(5), Decimal(206))
        ]
        booked = {(f.symbol, f.trade_id) for f in fills}
    async with alpaca_broker(double) as again:  # booked already: nothing twice
        assert await again.broker.recover_fired_guards(since, booked) == []


async def test_a_lone_stop_a_refusal_and_a_cancel() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double) as run:
        await run.broker.submit(an_order("entry", Side.BUY, OrderType.MARKET, "2.5"))
        fractional = await run.broker.place_guard(bracket(qty="2.5"))
        assert fractional.status is GuardStatus.REJECTED
        assert "whole shares only" in fractional.reason
        cid = guard_client_id("AAPLUSD", GuardKind.STOP, Decimal(180), 7)
        stop = GuardOrder(cid, "AAPLUSD", GuardKind.STOP, Side.SELL, Decimal(2), Decimal(180))
        placed = await run.broker.place_guard(stop)
        assert placed.status is GuardStatus.OPEN
        assert double.posted()[-1]["type"] == "stop" and double.posted()[-1]["stop_price"] == "180"
        assert [g.kind for g in await run.broker.open_guards()] == [GuardKind.STOP]
        cancelled = await run.broker.cancel_guard(placed)
        assert cancelled is not None and cancelled.status is GuardStatus.CANCELED
        assert await run.broker.cancel_guard(placed) is None
        assert await run.broker.open_guards() == []


async def test_a_sell_and_a_moved_guard_first_free_the_shares_the_guard_holds() -> None:
    double = AlpacaTradingDouble()
    async with alpaca_broker(double) as run:
        await run.broker.submit(an_order("entry", Side.BUY, OrderType.MARKET, "5"))
        first = await run.broker.place_guard(bracket())
        assert double.account.available("AAPL") == 0  # the OCO holds the 5 shares
        moved = await run.broker.place_guard(bracket(nonce=2, stop="185"))
        assert moved.status is GuardStatus.OPEN
        assert [(g.client_id, g.status) for g in run.guards[1:]] == [
            (first.client_id, GuardStatus.CANCELED),
            (moved.client_id, GuardStatus.OPEN),
        ]
        assert await run.broker.cancel_guard(first) is None  # the keeper's cancel: gone
        assert [g.trigger for g in await run.broker.open_guards()] == [Decimal(185)]
        sold = await run.broker.submit(an_order("exit", Side.SELL, OrderType.MARKET, "5"))
        assert sold.filled_quantity == 5 and run.guards[-1].status is GuardStatus.CANCELED
        assert await run.broker.open_guards() == [] and "AAPL" not in double.account.positions
