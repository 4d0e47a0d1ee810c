"""Fixtures for the notification, remote-control and health tests: the Slack and Telegram
doubles on 127.0.0.1, and intents that make a real paper trader fill or refuse an order.
Test modules import the fixture functions explicitly (pytest knows them as `slack` and
`telegram`)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from decimal import Decimal
from typing import Any

import pytest

from tests.doubles.slack_server import SlackDouble
from tests.doubles.telegram_server import TelegramDouble
from tests.trader_support import START
from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.runtime.trader import Trader


@pytest.fixture(name="slack")
async def slack_fixture() -> AsyncIterator[SlackDouble]:
    double = SlackDouble()
    await double.start()
    try:
        yield double
    finally:
        await double.stop()


@pytest.fixture(name="telegram")
async def telegram_fixture() -> AsyncIterator[TelegramDouble]:
    double = TelegramDouble()
    await double.start()
    try:
        yield double
    finally:
        await double.stop()


def limit_buy(trader: Trader, factor: str, intent_id: str) -> OrderIntent:
    """A 0.001 BTC limit buy at `factor` × the market price (above 1: marketable)."""
    price = (trader.core.parts.market.price("BTCUSDT") * Decimal(factor)).quantize(Decimal("0.01"))
    return OrderIntent(
        intent_id=intent_id,
        symbol="BTCUSDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.001"),
        price=price,
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=trader.core.parts.market.price("BTCUSDT"),
        reason="test",
    )


@contextlib.asynccontextmanager
async def tasks(*factories: Callable[[], Coroutine[Any, Any, None]]) -> AsyncIterator[None]:
    """Run edge tasks for the duration of the block; cancelled and awaited after."""
    running = [asyncio.create_task(factory()) for factory in factories]
    try:
        yield
    finally:
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def eventually(predicate: Callable[[], bool], within_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
