"""The status bar: mode, engine state, trading state (with its reason), the money
(equity, today's PnL absolute and in %, open exposure), feed freshness, connection, UTC
clock.

One line from 160 columns on. Narrower, the money and the feeds move to a second line
(`#status-money` docks at the bottom, app.tcss): at 80 columns one line cannot hold them
beside the trading state, and neither may be cut. The trading state gets the room left on
its line; when its reason still does not fit, the clock gives up its seconds first, and
only then is the reason shortened, after a whole word and ending in "…".

Repainted on every refresh tick (ages move even when the snapshot does not), but each
label is only touched when its text or class actually changed, and only relaid out when
its width did."""

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui_trader.domain.money import minor_units
from tui_trader.snapshot import AccountView, FeedStatus, TraderSnapshot
from tui_trader.text_safety import ELLIPSIS, printable
from tui_trader.tui import format as fmt
from tui_trader.tui.widgets.base import WIDE_FROM, Palette, View

_MODE_CLASSES = {"PAPER": "-paper", "TESTNET": "-testnet", "LIVE": "-live"}
TRADING_CELLS = 34  # the trading state's room before the bar has a width
TRADING_LIMIT = 160  # the reason can quote the exchange: never more than this
VENUE_LIMIT = 14  # "Binance USD-M"
FEEDS_CELLS = 16  # what the feeds keep beside the trading state on a one-line bar


def mode_and_venue(snapshot: TraderSnapshot) -> str:
    """The mode and the venue it runs on: `PAPER · Binance`, `LIVE · Upbit`, `PAPER · sim`."""
    if not snapshot.venue:
        return snapshot.mode
    return f"{snapshot.mode} · {printable(snapshot.venue, VENUE_LIMIT)}"


def feed_age(feed: FeedStatus, view: View) -> float | None:
    if feed.last_event_at is None:
        return None
    return (view.now - feed.last_event_at).total_seconds()


def feed_is_stale(feed: FeedStatus, view: View) -> bool:
    seconds = feed_age(feed, view)
    return seconds is None or seconds > feed.stale_after_s


def fit_words(text: str, cells: int) -> str:
    """`text` in at most `cells` characters: whole, or cut after its last whole word
    that fits and ended with "…" (mid-word only when a single word is too long)."""
    if len(text) <= cells:
        return text
    head = text[: max(cells - 1, 0)]
    if text[len(head)] != " " and " " in head:
        head = head[: head.rindex(" ")]
    return head.rstrip() + ELLIPSIS


def money_text(account: AccountView, palette: Palette) -> Text:
    """`eq 10,000.00 USDT  day +12.30 (+0.12%)  exp 1,234.00`: the day coloured by its
    sign, the exposure gross (longs and shorts at mark) in the same quote asset."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("eq ")
    places = minor_units(account.quote_asset)
    text.append(fmt.money(account.equity, places), style="bold")
    text.append(f" {printable(account.quote_asset, 8)}  day ")
    day = f"{fmt.signed(account.day_pnl, places)} ({fmt.pct(account.day_pnl_pct)})"
    text.append(day, style=palette.direction(account.day_pnl))
    text.append(f"  exp {fmt.money(account.exposure, places)}")
    return text


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
        with Horizontal(id="status-money"):
            yield Static("", id="money")
            yield Static("", id="feeds")
        yield Static("", id="status-gap")  # keeps conn and clock right when money moves down
        yield Static("", id="conn", classes="badge")
        yield Static("", id="clock")

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        mode = self.query_one("#mode", Static)
        for name, css in _MODE_CLASSES.items():
            mode.set_class(snapshot.mode == name, css)
        # one line: the venue beside the mode; two (narrow): the feeds name it on line two.
        # By the terminal's width, not the screen's class: that is set after the first
        # frame, and a badge drawn wide then kept its width once narrowed.
        wide = self.app.size.width >= WIDE_FROM
        mode_text = mode_and_venue(snapshot) if wide else snapshot.mode
        self._set("mode", mode_text)
        engine = self.query_one("#engine", Static)
        for state in ("idle", "running", "stopping", "error"):
            engine.set_class(snapshot.engine_state.lower() == state, f"-{state}")
        self._set("engine", snapshot.engine_state.value)
        trading = self.query_one("#trading", Static)
        trading.set_class(snapshot.trading_mode == "HALTED", "-halted")
        trading.set_class(snapshot.trading_mode == "REDUCING", "-reducing")
        money = money_text(snapshot.account, view.palette)
        self._set("money", money)
        self._set("feeds", self._feeds_text(snapshot, view))
        connected = bool(snapshot.feeds) and all(feed.connected for feed in snapshot.feeds)
        self.query_one("#conn", Static).set_class(not connected, "-offline")
        conn = "online" if connected else "OFFLINE"
        self._set("conn", conn)
        state = printable(snapshot.trading_state, TRADING_LIMIT)
        if snapshot.flat_proof:  # after a kill: what the venue showed comes first
            state = printable(f"{snapshot.flat_proof} · {state}", TRADING_LIMIT)
        clock = f"{fmt.clock(view.now)} UTC"
        beside = (mode_text, snapshot.engine_state.value, conn)
        room = self._trading_room((*beside, clock), money)
        if cell_len(state) > room:  # the reason matters more than the clock's seconds
            clock = f"{fmt.clock(view.now)[:5]} UTC"
            room = self._trading_room((*beside, clock), money)
        self._set("trading", fit_words(state, room))
        self._set("clock", clock)

    def _trading_room(self, beside: tuple[str, ...], money: Text) -> int:
        """Cells the trading state may take on its line: the bar's width less the other
        labels on that line (each with its padding) and its own padding."""
        width = self.size.width
        if not width:
            return TRADING_CELLS
        used = sum(cell_len(text) + 2 for text in beside) + 2
        if not self.screen.has_class("-narrow"):  # money and feeds share the line
            used += money.cell_len + 2 + FEEDS_CELLS
        return max(width - used, 9)  # never less than "REDUCING…"

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
        # Fills not by a live order stream (polled, or catching up): on every tab, so a
        # trader on the Positions tab sees it too (the Orders panel's title says more).
        down = [s for s in snapshot.order_streams if s.state != "streaming"]
        if down:
            text.append(f"fills {printable(down[0].state, 12)}", style=view.palette.warning)
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
