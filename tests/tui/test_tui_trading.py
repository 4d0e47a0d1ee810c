"""Acting on rows: `c` closes the selected position, `o` cancels the selected order. The
market runs at full speed until the strategy holds a position, then stops so the rows
stay put while the keys are pressed."""

import contextlib
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.worker import WorkerCancelled
from tui_support import (
    Cockpit,
    Recorder,
    market_ready,
    screen_text,
    start_trading,
    wait_for,
)

from tui_trader.domain.enums import IntentPurpose, OrderStatus
from tui_trader.snapshot import TraderSnapshot
from tui_trader.tui.modals.close import ClosePositionScreen
from tui_trader.tui.widgets.orders import OrdersPanel
from tui_trader.tui.widgets.positions import PositionsPanel

Make = Callable[..., Cockpit]


def fast_market(cockpit: Make) -> Cockpit:
    """About 30 ms per one-minute candle: trades within a second, rows last a while."""
    return cockpit(STRATEGY="rsi", SIM_SPEED=2000, MAX_ORDERS_PER_SEC=1000)


async def freeze_market_when(
    pilot: Pilot[Any], c: Cockpit, wanted: Callable[[TraderSnapshot], bool], what: str
) -> None:
    """Stop the simulated feed (its worker) as soon as `wanted` holds, so the rows stay
    put while keys are pressed."""
    feed = next(worker for worker in c.app.workers if worker.name == "feed")

    def check() -> bool:
        if wanted(c.trader.snapshot()):
            feed.cancel()
            return True
        return False

    await wait_for(pilot, check, what, within=20)
    with contextlib.suppress(WorkerCancelled):
        await feed.wait()


async def test_c_and_o_need_a_row(cockpit: Make) -> None:
    c, seen = cockpit(), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c)
        await pilot.press("c")
        await pilot.press("2")
        await pilot.press("o")
        await pilot.pause(0.1)
        assert "No open position to close." in [n.message for n in seen.notices]
        assert "Select an open order to cancel." in [n.message for n in seen.notices]
        assert seen.finished == []


def close_attempted(c: Cockpit, symbol: str) -> bool:
    """The trader acted on the close: a MANUAL_CLOSE order, or its refusal by risk (the
    paper account cannot oversell while another exit order is resting)."""
    snapshot = c.trader.snapshot()
    orders = (*snapshot.open_orders, *snapshot.recent_orders)
    placed = any(o.purpose is IntentPurpose.MANUAL_CLOSE and o.symbol == symbol for o in orders)
    refused = any(
        e.kind == "risk_rejected" and "MANUAL_CLOSE" in e.message and e.symbol == symbol
        for e in snapshot.safety_events
    )
    return placed or refused


async def position_selected(pilot: Pilot[Any], c: Cockpit) -> str:
    """Trade a fast market until a position opens; freeze it there with the position
    selected on screen. Returns its symbol."""
    await market_ready(pilot, c, settled=False)
    await start_trading(pilot, c)
    await freeze_market_when(pilot, c, lambda s: bool(s.positions), "a position")
    symbol = c.trader.snapshot().positions[0].position.symbol
    panel = c.app.query_one(PositionsPanel)
    await wait_for(pilot, lambda: panel.selected_symbol == symbol, "the position on screen")
    return symbol


async def test_c_closes_the_selected_position(cockpit: Make) -> None:
    c, seen = fast_market(cockpit), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        symbol = await position_selected(pilot, c)
        await pilot.press("c")  # an order goes out: asks first, like stop and kill
        assert isinstance(c.app.screen, ClosePositionScreen)
        assert symbol in screen_text(c.app.screen)
        await pilot.press("y")
        await wait_for(pilot, lambda: close_attempted(c, symbol), "the close")
        assert (f"close {symbol}", "") in [(m.command, m.error) for m in seen.finished]


async def test_o_cancels_the_selected_order(cockpit: Make) -> None:
    c, seen = fast_market(cockpit), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c, settled=False)
        await start_trading(pilot, c)
        await freeze_market_when(pilot, c, lambda s: bool(s.open_orders), "an open order")
        open_orders = c.trader.snapshot().open_orders
        assert open_orders, "the market is frozen: the order cannot fill"
        coid = open_orders[-1].client_order_id
        await pilot.press("2")
        panel = c.app.query_one(OrdersPanel)
        await wait_for(pilot, lambda: coid in panel.table_keys(), "the order on screen")
        table = panel.query_one("#orders-table", DataTable)
        table.focus()
        for _ in range(panel.table_keys().index(coid)):
            await pilot.press("down")
        assert panel.selected_order == coid
        await pilot.press("o")

        def status() -> OrderStatus | None:
            orders = (*c.trader.snapshot().open_orders, *c.trader.snapshot().recent_orders)
            return next((o.status for o in orders if o.client_order_id == coid), None)

        await wait_for(pilot, lambda: status() is OrderStatus.CANCELED, "the order cancelled")
        assert (f"cancel {coid}", "") in [(m.command, m.error) for m in seen.finished]
