"""Issue 17: the Orders panel's title says how fills arrive: "fills: stream", or "fills:
polling since 12:00 UTC (...)" while the venue's order stream is down, the venue's
words shown literally; at 80x24 it fits, and the drop and the way back are safety lines.
On paper (no order stream) the title says nothing more."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from tui_support import Cockpit, market_ready, screen_plain, wait_for

from tui_trader.clock import SimulatedClock
from tui_trader.execution.order_stream import OrderStreamStatus
from tui_trader.tui.widgets.orders import OrdersPanel
from tui_trader.tui.widgets.safety import SafetyPanel

Make = Callable[..., Cockpit]
ORDERS_TAB = "2"


def with_a_stream(c: Cockpit) -> OrderStreamStatus:
    """The status a live broker's order stream keeps, wired as the exchange link wires
    it (its changes touch the trader; the snapshot reads its view)."""
    status = OrderStreamStatus(
        "Upbit",
        "Upbit private stream",
        clock=c.trader.wall_clock,
        polls_while_down=True,
        on_safety=c.trader.record_safety,
    )
    status.on_change = c.trader.touch
    c.trader.exchange.order_streams = lambda: (status.view(),)  # type: ignore[method-assign]
    c.trader.touch()
    return status


def title(c: Cockpit) -> str:
    return c.app.query_one(OrdersPanel).title_text.plain


async def test_paper_shows_no_order_stream(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press(ORDERS_TAB)
        assert c.trader.snapshot().order_streams == ()
        assert title(c) == "Orders & fills"


async def test_the_orders_title_follows_the_stream_down_and_back_at_80x24(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        await pilot.press(ORDERS_TAB)
        status = with_a_stream(c)
        await wait_for(pilot, lambda: "polling since 12:00 UTC" in title(c), "connecting")
        status.connected()
        status.caught_up()
        await wait_for(pilot, lambda: title(c) == "Orders & fills · fills: stream", "streaming")
        assert "Orders & fills · fills: stream" in screen_plain(c.app)

        clock = c.trader.wall_clock
        assert isinstance(clock, SimulatedClock)
        clock.advance(timedelta(minutes=2))
        status.lost("error frame {'name': '[b]jwt[/b]', 'message': '\x1b[2Jgone'}")
        expected = "Orders & fills · fills: polling since 12:02 UTC (lost: error frame {…)"
        await wait_for(pilot, lambda: "polling" in title(c), "polling")
        assert title(c) == expected, title(c)
        screen = screen_plain(c.app)
        assert expected in screen  # the whole title fits the 80 columns
        assert "\x1b" not in screen

        clock.advance(timedelta(seconds=30))
        status.connected()
        await wait_for(pilot, lambda: "reconnecting since 12:02 UTC" in title(c), "catching up")
        status.caught_up()
        await wait_for(pilot, lambda: title(c) == "Orders & fills · fills: stream", "back")
        snapshot = c.trader.snapshot()
        (view,) = snapshot.order_streams
        assert view.state == "streaming" and view.reconciled_at == clock.now()

        # the drop and the way back, each one line in the safety panel
        await pilot.press("5")
        panel = c.app.query_one(SafetyPanel)
        await wait_for(pilot, lambda: panel.shown_version == c.trader.snapshot().version, "safety")
        screen = screen_plain(c.app)
        assert "Upbit private stream lost (e" in screen  # cut to the 80 columns
        assert "Upbit private stream back af" in screen
        back, lost = c.trader.snapshot().safety_events[:2]
        assert back.message.startswith("Upbit private stream back after 30 s: fills by stream")
        assert lost.message.startswith("Upbit private stream lost (error frame {'name': '[b]jwt")


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_header_says_fills_are_polled_on_every_tab(
    cockpit: Make, size: tuple[int, int]
) -> None:
    """At 80x24 the Orders panel is one tab of seven: the header says it whichever tab
    is shown, and says nothing while fills come by the stream."""
    c = cockpit()
    async with c.app.run_test(size=size) as pilot:
        await market_ready(pilot, c)
        status = with_a_stream(c)  # connecting: fills by polling until it is up
        await wait_for(pilot, lambda: "fills polling" in header_lines(c), "polling")
        status.connected()
        status.caught_up()
        await wait_for(pilot, lambda: "fills" not in header_lines(c), "streaming")
        status.lost("connection closed")
        await wait_for(pilot, lambda: "fills polling" in header_lines(c), "lost")


def header_lines(c: Cockpit) -> str:
    return "\n".join(screen_plain(c.app).splitlines()[:2])
