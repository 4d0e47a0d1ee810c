"""The status bar: mode, engine state, trading state (with its reason), feed freshness,
connection, UTC clock.

Repainted on every refresh tick (ages move even when the snapshot does not), but each
label is only touched when its text or class actually changed, and only relaid out when
its width did."""

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui_trader.snapshot import FeedStatus, TraderSnapshot
from tui_trader.text_safety import printable
from tui_trader.tui import format as fmt
from tui_trader.tui.widgets.base import View

_MODE_CLASSES = {"PAPER": "-paper", "TESTNET": "-testnet", "LIVE": "-live"}
TRADING_CELLS = 34  # the trading state's share of an 80-column status bar


def feed_age(feed: FeedStatus, view: View) -> float | None:
    if feed.last_event_at is None:
        return None
    return (view.now - feed.last_event_at).total_seconds()


def feed_is_stale(feed: FeedStatus, view: View) -> bool:
    seconds = feed_age(feed, view)
    return seconds is None or seconds > feed.stale_after_s


class StatusBar(Horizontal):
    """One line docked at the top of the main screen."""

    shown_version = -1

    def __init__(self) -> None:
        super().__init__(id="status-bar")
        self._texts: dict[str, str | Text] = {}

    def compose(self) -> ComposeResult:
        yield Static("PAPER", id="mode", classes="badge -paper")
        yield Static("IDLE", id="engine", classes="badge -idle")
        yield Static("", id="trading", classes="badge")
        yield Static("", id="feeds")
        yield Static("", id="conn", classes="badge")
        yield Static("", id="clock")

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        mode = self.query_one("#mode", Static)
        for name, css in _MODE_CLASSES.items():
            mode.set_class(snapshot.mode == name, css)
        self._set("mode", snapshot.mode)
        engine = self.query_one("#engine", Static)
        for state in ("idle", "running", "stopping", "error"):
            engine.set_class(snapshot.engine_state.lower() == state, f"-{state}")
        self._set("engine", snapshot.engine_state.value)
        trading = self.query_one("#trading", Static)
        trading.set_class(snapshot.trading_mode == "HALTED", "-halted")
        trading.set_class(snapshot.trading_mode == "REDUCING", "-reducing")
        # The reason can quote the exchange; bounded so the feeds keep their room.
        self._set("trading", printable(snapshot.trading_state, TRADING_CELLS))
        self._set("feeds", self._feeds_text(snapshot, view))
        connected = bool(snapshot.feeds) and all(feed.connected for feed in snapshot.feeds)
        self.query_one("#conn", Static).set_class(not connected, "-offline")
        self._set("conn", "online" if connected else "OFFLINE")
        self._set("clock", f"{fmt.clock(view.now)} UTC")

    def _feeds_text(self, snapshot: TraderSnapshot, view: View) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for feed in snapshot.feeds:
            seconds = feed_age(feed, view)
            shown = "no data" if seconds is None else fmt.age(seconds)
            style = f"bold {view.palette.critical}" if feed_is_stale(feed, view) else ""
            text.append(f"{printable(feed.name)} ", style="")
            text.append(shown, style=style)
            if not feed.connected and feed.detail:  # reconnecting, retrying Binance, ...
                text.append(f" ({printable(feed.detail, 80)})")  # quotes exchange errors
            text.append("  ")
        return text

    def _set(self, name: str, value: str | Text) -> None:
        previous = self._texts.get(name)
        if previous != value:
            self._texts[name] = value
            # A relayout also repaints every scrollbar on screen; the clock ticks every
            # second and keeps its width, so only a change of width asks for one.
            resized = previous is None or _width(previous) != _width(value)
            self.query_one(f"#{name}", Static).update(value, layout=resized)


def _width(text: str | Text) -> int:
    return text.cell_len if isinstance(text, Text) else cell_len(text)
