"""The trader's order path end to end: gate, journal, paper broker, restart."""

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from tests.trader_support import START, feed, make_settings, opened, running_engine, sim_events
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.journal import Journal
from tui_trader.runtime.build_trader import journal_path


def resting_buy(price: Decimal, intent_id: str = "manual-BTCUSDT-1") -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id,
        symbol="BTCUSDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.001"),
        price=price,
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=price,
        reason="test",
    )


async def journal_rows(path: Path, table: str) -> int:
    journal = Journal(path)
    await journal.open()
    try:
        if table == "intents":
            return len(await journal.known_client_order_ids())
        return len(await journal.orders())
    finally:
        await journal.close()


async def test_same_intent_twice_gives_one_order_even_across_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000")
    trader = opened(settings)
    await trader.open()
    engine = asyncio.create_task(trader.engine.run())
    await feed(trader, sim_events(trader), 10)
    await trader.start()  # entries pass the gate only while RUNNING
    price = trader.core.parts.market.price("BTCUSDT") * Decimal("0.95")
    intent = resting_buy(price.quantize(Decimal("0.01")))
    first = await trader.engine.process(intent)
    second = await trader.engine.process(intent)
    assert first is not None and first.status is OrderStatus.NEW
    assert second is None
    assert len(await trader.parts.broker.open_orders()) == 1
    refused = trader.history.safety[0]
    assert refused.kind == "risk_rejected" and refused.data["stage"] == "idempotency"
    # The process dies here: no graceful stop, nothing cancelled; what was committed stays.
    engine.cancel()
    await trader.parts.journal.close()
    assert await journal_rows(journal_path(settings), "intents") == 1

    # A new process on the same data dir: the resting order is restored in the paper
    # exchange with its funds locked, and the same intent is still refused.
    async with running_engine(opened(settings)) as restarted:
        restored = await restarted.parts.broker.open_orders()
        assert [o.client_order_id for o in restored] == [first.client_order_id]
        assert restarted.core.parts.orders.get(first.client_order_id) is not None
        quote = (await restarted.parts.broker.balances())["USDT"]
        assert quote.locked > 0
        await restarted.start()
        assert await restarted.engine.process(intent) is None
        assert len(await restarted.parts.broker.open_orders()) == 1
        # Stopping cancels the restored entry order at the broker and in the journal.
        await restarted.stop()
        assert await restarted.parts.broker.open_orders() == []
        await restarted.parts.journal.flush()
        assert await restarted.parts.journal.open_orders() == []
    assert await journal_rows(journal_path(settings), "intents") == 1


async def test_intent_journaled_but_never_sent_is_closed_at_restart(tmp_path: Path) -> None:
    """A crash between the journal write and the broker call: the restart asks the
    broker, which never saw it, so it is closed and never sent."""
    settings = make_settings(tmp_path)
    lost = resting_buy(Decimal("50000"), "lost-intent")
    journal = Journal(journal_path(settings))
    await journal.open()
    await journal.record_intent(lost, "tt-lostlostlost")
    await journal.close()

    async with running_engine(opened(settings)) as trader:
        assert await trader.parts.broker.open_orders() == []
        event = next(e for e in trader.history.safety if e.kind == "reconciliation")
        assert "never sent" in event.message
        await trader.parts.journal.flush()
        assert await trader.parts.journal.unfinished_intents() == []
        orders = await trader.parts.journal.orders()
        assert orders[0].status is OrderStatus.REJECTED


async def test_kill_switch_blocks_orders_and_survives_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000")
    async with running_engine(opened(settings)) as trader:
        await feed(trader, sim_events(trader), 10)
        price = (trader.core.parts.market.price("BTCUSDT") * Decimal("0.95")).quantize(
            Decimal("0.01")
        )
        await trader.start()
        placed = await trader.engine.process(resting_buy(price))
        assert placed is not None
        await trader.kill(close_positions=False, source="test")
        assert await trader.parts.broker.open_orders() == []  # kill cancelled the resting order
        assert await trader.engine.process(resting_buy(price, "after-kill")) is None
        assert trader.snapshot().kill_switch_active
        assert trader.parts.machine.state.value == "IDLE"

    async with running_engine(opened(settings)) as restarted:
        assert restarted.snapshot().kill_switch_active
        with pytest.raises(ValueError, match="kill switch is active"):
            await restarted.start()
        assert await restarted.engine.process(resting_buy(price, "after-restart")) is None
