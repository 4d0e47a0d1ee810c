"""Chart: the selected symbol's recent closed candles with the strategy's fills marked
and the open position's stop and take-profit drawn across, and the session's equity.

Plotting is textual-plotext's. A plot is rebuilt only when what it shows changed (the
series are the same tuple objects until a candle closes), only while the panel is on
screen (the app skips hidden panels), and at most once per REDRAW_S: under a fast replay
candles close many times a second, and a person reads a chart at a glance, not a frame.

The plot widgets are imported and mounted at the first drawing that has something to
plot: textual-plotext is not loaded before the first frame, nor ever by a session that
never shows the chart (tab 7 at 80x24)."""

import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static

from tui_trader.domain.enums import Side
from tui_trader.domain.market import Candle
from tui_trader.domain.orders import Fill
from tui_trader.snapshot import EquityPoint, TraderSnapshot
from tui_trader.tui import format as fmt
from tui_trader.tui.widgets.base import View, set_subtitle

if TYPE_CHECKING:
    from textual_plotext import PlotextPlot

# A plotext redraw is the costliest paint on the screen; at 160x48 (chart always shown)
# redrawing every 1 s put key → dialog medians at 50-65 ms under a 10,000 events/s feed,
# every 2 s at 41-46 ms (bench_tui.py). Candles close once a minute: 2 s is plenty.
REDRAW_S = 2.0
TICKS = 4  # time labels under each plot
RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class ChartData:
    """Everything one drawing depends on; an equal value means nothing to redraw."""

    symbol: str
    candles: tuple[Candle, ...]
    fills: tuple[Fill, ...]  # this symbol's, newest first
    stop: Decimal | None
    take: Decimal | None
    equity: tuple[EquityPoint, ...]
    colours: tuple[str, str, str]  # up, down, muted


def chart_data(snapshot: TraderSnapshot, symbol: str | None, view: View) -> ChartData | None:
    """The chart of `symbol`, else of the first symbol; None before any price."""
    symbols = [row.symbol for row in snapshot.prices]
    if symbol not in symbols:
        symbol = symbols[0] if symbols else None
    if symbol is None:
        return None
    candles = next((s.candles for s in snapshot.candles if s.symbol == symbol), ())
    position = next((p for p in snapshot.positions if p.position.symbol == symbol), None)
    palette = view.palette
    return ChartData(
        symbol=symbol,
        candles=candles,
        fills=tuple(f for f in snapshot.fills if f.symbol == symbol),
        stop=position.stop_loss if position else None,
        take=position.take_profit if position else None,
        equity=snapshot.equity_curve,
        colours=(palette.up, palette.down, palette.muted),
    )


def _rgb(colour: str, default: RGB) -> RGB:
    if len(colour) == 7 and colour.startswith("#"):
        return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
    return default


def _ticks(times: Sequence[str]) -> tuple[list[float], list[str]]:
    if not times:
        return [], []
    step = max(1, len(times) // TICKS)
    positions = range(0, len(times), step)
    return [float(i) for i in positions], [times[i] for i in positions]


def fill_points(candles: tuple[Candle, ...], fills: tuple[Fill, ...]) -> list[tuple[int, Fill]]:
    """Each fill at the candle it happened in (a fill after the last close sits on the
    last candle); fills older than the first candle are off the chart."""
    if not candles:
        return []
    closes = [c.close_time for c in candles]
    points = []
    for fill in fills:
        if fill.ts < candles[0].open_time:
            continue
        points.append((min(bisect_left(closes, fill.ts), len(candles) - 1), fill))
    return points


def price_subtitle(data: ChartData) -> str:
    buys = sum(1 for f in data.fills if f.side is Side.BUY)
    parts = [f"▲ buy {buys}  ▼ sell {len(data.fills) - buys}"]
    if data.stop is not None:
        parts.append(f"stop {fmt.price(data.stop)}")
    if data.take is not None:
        parts.append(f"take {fmt.price(data.take)}")
    return " · ".join(parts)


class ChartPanel(Vertical):
    """In a tab of its own below 160x48 (id "chart"), beside the prices at 160x48 and up
    (id "chart-wide"); only the one on screen draws. up/down choose the symbol."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "step(-1)", "Prev symbol", show=False),
        Binding("down", "step(1)", "Next symbol", show=False),
    ]
    can_focus = True
    shown_version = -1

    def __init__(
        self,
        *,
        id: str,
        classes: str,
        selected: Callable[[], str | None],
        step: Callable[[int], None],
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Chart"
        self._selected = selected
        self._step = step
        self.drawn: ChartData | None = None
        self._drawn_at = -REDRAW_S
        self._pending: ChartData | None = None
        self._timer: Timer | None = None
        self._plots: tuple[PlotextPlot, PlotextPlot] | None = None  # (price, equity)

    def compose(self) -> ComposeResult:
        yield Static("Waiting for prices.", classes="empty chart-empty")

    def _mounted_plots(self) -> "tuple[PlotextPlot, PlotextPlot]":
        if self._plots is None:
            from textual_plotext import PlotextPlot

            self._plots = (PlotextPlot(classes="price-plot"), PlotextPlot(classes="equity-plot"))
            self.mount(*self._plots)
        return self._plots

    def action_step(self, delta: int) -> None:
        self._step(delta)

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        data = chart_data(snapshot, self._selected(), view)
        if data is None or data == self.drawn:
            return
        wait = self._drawn_at + REDRAW_S - time.monotonic()
        if wait > 0 and self.drawn is not None and data.symbol == self.drawn.symbol:
            self._pending = data
            if self._timer is None:
                self._timer = self.set_timer(wait, self._draw_pending)
            return
        self._draw(data)

    def _draw_pending(self) -> None:
        self._timer = None
        if self._pending is not None and self.display:
            self._draw(self._pending)

    def _draw(self, data: ChartData) -> None:
        self._pending = None
        self.drawn = data
        self._drawn_at = time.monotonic()
        self.border_title = f"Chart {data.symbol}"
        empty = self.query_one(".chart-empty", Static)
        empty.display = not data.candles
        if not data.candles:
            empty.update(f"{data.symbol}: no closed candle yet.")
        set_subtitle(self, price_subtitle(data))
        if self._plots is None and not data.candles and len(data.equity) < 2:
            return  # nothing to plot yet: no plot widget either
        price, equity = self._mounted_plots()
        self._draw_price(price, data)
        self._draw_equity(equity, data)

    def _draw_price(self, widget: "PlotextPlot", data: ChartData) -> None:
        widget.display = bool(data.candles)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        if not data.candles:
            widget.refresh()
            return
        up = _rgb(data.colours[0], (0, 170, 0))
        down = _rgb(data.colours[1], (200, 0, 0))
        candles = data.candles
        xs = list(range(len(candles)))
        ohlc = {
            "Open": [float(c.open) for c in candles],
            "Close": [float(c.close) for c in candles],
            "High": [float(c.high) for c in candles],
            "Low": [float(c.low) for c in candles],
        }
        # Positions, not dates: plotext draws numbers as given (its stub says dates only).
        plt.candlestick(xs, ohlc, colors=[up, down])  # type: ignore[arg-type]
        low, high = min(ohlc["Low"]), max(ohlc["High"])
        for level, colour in ((data.stop, down), (data.take, up)):
            if level is not None:
                plt.hline(float(level), colour)
                low, high = min(low, float(level)), max(high, float(level))
        for side, marker, colour in ((Side.BUY, "▲", up), (Side.SELL, "▼", down)):
            points = [(x, f) for x, f in fill_points(candles, data.fills) if f.side is side]
            if points:
                plt.scatter(
                    [x for x, _ in points],
                    [float(f.price) for _, f in points],
                    marker=marker,
                    color=colour,
                )
        pad = (high - low) * 0.05 or abs(high) * 0.001 or 1.0
        plt.ylim(low - pad, high + pad)
        plt.xlim(-0.5, len(candles) - 0.5)
        plt.xticks(*_ticks([fmt.clock(c.close_time)[:5] for c in candles]))
        widget.refresh()

    def _draw_equity(self, widget: "PlotextPlot", data: ChartData) -> None:
        widget.display = len(data.equity) > 1
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        if len(data.equity) > 1:
            values = [float(p.equity) for p in data.equity]
            plt.plot(list(range(len(values))), values, marker="braille")
            low, high = min(values), max(values)
            pad = (high - low) * 0.05 or abs(high) * 0.0005 or 1.0
            plt.ylim(low - pad, high + pad)
            plt.title(f"Equity {fmt.money(data.equity[-1].equity)}")
            plt.xticks(*_ticks([fmt.clock(p.ts)[:5] for p in data.equity]))
        widget.refresh()
