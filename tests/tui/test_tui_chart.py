"""The chart: the selected symbol's closed candles with fills marked and the position's
stop and take-profit, and the session's equity; in tab 7 at 80x24, beside the prices at
160x48. A chart not on screen is not drawn."""

from collections.abc import Callable

from test_tui_trading import fast_market, freeze_market_when
from textual_plotext import PlotextPlot
from tui_support import Cockpit, market_ready, screen_plain, start_trading, wait_for

from tui_trader.snapshot import TraderSnapshot
from tui_trader.tui.widgets.chart import ChartPanel
from tui_trader.tui.widgets.prices import PricesPanel

Make = Callable[..., Cockpit]


def candles_everywhere(snapshot: TraderSnapshot) -> bool:
    """Three closed candles of every symbol (not vacuously: the series exist)."""
    series = snapshot.candles
    return bool(series) and all(len(s.candles) >= 3 for s in series)


def traded(snapshot: TraderSnapshot) -> bool:
    """A fill, an open position with its stop and take-profit, and a few candles."""
    candles = snapshot.candles[0].candles if snapshot.candles else ()
    position = next(iter(snapshot.positions), None)
    return (
        len(candles) >= 5
        and len(snapshot.equity_curve) >= 5
        and position is not None
        and position.stop_loss is not None
        and position.take_profit is not None
        and position.position.symbol == snapshot.prices[0].symbol
    )


async def test_chart_tab_at_80x24_shows_candles_fills_and_levels(cockpit: Make) -> None:
    c = fast_market(cockpit)
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c, settled=False)
        await start_trading(pilot, c)
        await freeze_market_when(pilot, c, traded, "candles and a position")
        chart = c.app.query_one("#chart", ChartPanel)
        assert chart.drawn is None  # hidden in its tab: not drawn
        assert not chart.query(PlotextPlot)  # nor its plot widgets mounted
        assert not c.app.query_one("#chart-wide", ChartPanel).display
        await pilot.press("7")
        snapshot = c.trader.snapshot()
        symbol = snapshot.prices[0].symbol

        def drawn() -> bool:
            return chart.drawn is not None and chart.drawn.candles == snapshot.candles[0].candles

        await wait_for(pilot, drawn, "the chart drawn")
        await pilot.pause(0.1)
        data = chart.drawn
        assert data is not None and data.symbol == symbol
        assert data.fills and data.stop is not None and data.take is not None
        assert data.equity == snapshot.equity_curve
        assert all(plot.display for plot in chart.query(PlotextPlot))
        assert not c.app.query_one(PricesPanel).display  # the short screen gives it room
        text = screen_plain(c.app)
        assert f"Chart {symbol}" in text
        assert "▲ buy" in text and "stop " in text and "take " in text
        assert "Equity " in text
        assert "┤" in text  # the plot's axis, drawn


async def test_chart_beside_prices_at_160x48_follows_the_selection(cockpit: Make) -> None:
    c = fast_market(cockpit)
    async with c.app.run_test(size=(160, 48)) as pilot:
        await market_ready(pilot, c, settled=False)
        await freeze_market_when(pilot, c, candles_everywhere, "three candles of each symbol")
        chart = c.app.query_one("#chart-wide", ChartPanel)
        assert not c.app.query_one("#chart", ChartPanel).display
        symbols = [row.symbol for row in c.trader.snapshot().prices]
        await wait_for(pilot, lambda: bool(chart.drawn and chart.drawn.candles), "candles")
        assert chart.drawn is not None and chart.drawn.symbol == symbols[0]
        assert f"Chart {symbols[0]}" in screen_plain(c.app)
        c.app.query_one("#prices-table").focus()
        await pilot.press("down")
        await wait_for(
            pilot,
            lambda: chart.drawn is not None and chart.drawn.symbol == symbols[1],
            "the chart of the selected symbol",
        )
        await pilot.pause(0.1)
        assert f"Chart {symbols[1]}" in screen_plain(c.app)
