"""The order path's state per venue connection, as the operator sees it (issue 17): do
fills arrive by the venue's private order stream, or by REST polling while it is down?

Not a market feed's status (snapshot.FeedStatus): an order stream is silent while
nothing trades, so silence says nothing here; what counts is the connection and, on
Binance, the watchdog that polls a user stream silent while orders work.

One `OrderStreamStatus` per stream, told by the stream's own code what happens to it:

- `connected()`: the subscription is up; what may have been missed is being caught up
  (RECONNECTING) until `caught_up()`, which makes it STREAMING;
- `lost(why)`: the connection is gone; fills come from polling (Upbit, Alpaca: the
  broker polls at its fast pace while the stream is down) or nowhere until the
  subscription is back (Binance: RECONNECTING; its watchdog polls once orders working
  meet silence);
- `failed(why)`, `refused(why)`: a (re)connection attempt failed, or the venue refused
  the key; the state stays what it was, the detail says why (the venue's words);
- `polling(on, why)`: Binance's watchdog polls (or stopped) while subscribed;
- `closed()`: the broker closed: OFF.

The state is derived from those facts, so no order of calls can leave it contradictory.
`since` is when the current state began. A drop (STREAMING → down) is said once as a
WARNING; the way back (STREAMING again after a drop, once caught up) as an INFO that
says how long it was down and that the gap was reconciled. The first connection is
not news."""

import logging
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from tui_trader.clock import Clock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind, tell
from tui_trader.snapshot import OrderStreamView
from tui_trader.text_safety import printable

log = logging.getLogger(__name__)
SafetyListener = Callable[[SafetyEvent], None]
DETAIL_LIMIT = 160  # the venue's words kept in a detail


class StreamState(StrEnum):
    STREAMING = "streaming"  # fills by the stream
    POLLING = "polling"  # fills by REST polling: the stream is down, refused or silent
    RECONNECTING = "reconnecting"  # (re)connecting, or catching up after a reconnection
    OFF = "off"  # no stream any more (the broker closed)


def duration(seconds: float) -> str:
    """12 s, 3 min 4 s, 2 h 5 min: how long a stream was down."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class OrderStreamStatus:
    def __init__(
        self,
        venue: str,
        name: str,
        *,
        clock: Clock,
        polls_while_down: bool,
        on_safety: SafetyListener | None = None,
        while_down: str = "",
    ) -> None:
        """`venue`: the connection as shown ("Upbit", "Binance spot"). `name`: the
        stream in messages ("Upbit private stream"). `polls_while_down`: the broker
        polls at its fast pace whenever the stream is not up (Upbit, Alpaca), so down
        means POLLING; else (Binance) down means RECONNECTING. `while_down`: what a
        drop's message says happens meanwhile."""
        self.venue, self.name, self._clock = venue, name, clock
        self._polls_while_down = polls_while_down
        self._on_safety = on_safety
        self._while_down = while_down or (
            "polling until it is back" if polls_while_down else "subscribing again"
        )
        self.on_change: Callable[[], None] | None = None  # the snapshot must be rebuilt
        # the facts
        self._connected = False
        self._catching_up = False
        self._polling = False  # Binance's watchdog polls while subscribed
        self._closed = False
        self._ever_up = False
        # what is shown
        self._detail = "connecting"
        self._down_at: datetime | None = None  # when a drop began; None: no drop pending
        self.reconciled_at: datetime | None = None  # the last catch-up after a drop
        self.state = self._derive()
        self.since = clock.now()

    # --- what the stream says ---------------------------------------------------------
    def connected(self) -> None:
        """Subscribed; what may have been missed is being caught up."""
        self._connected, self._catching_up, self._closed = True, True, False
        self._update("catching up" if self._ever_up else "connecting")

    def caught_up(self, reconciled: bool = True) -> None:
        """The catch-up after connecting is done: fills by the stream from now on.
        `reconciled`: it was done (False: it failed; the stream serves anyway)."""
        if not self._connected:
            return
        self._catching_up = False
        now = self._clock.now()
        down_at, self._down_at = self._down_at, None
        if down_at is not None and reconciled:
            self.reconciled_at = now
        self._ever_up = True
        self._update("" if reconciled else "catch-up after reconnecting failed")
        if down_at is not None:
            gap = duration((now - down_at).total_seconds())
            caught = "missed events reconciled" if reconciled else "reconciling FAILED"
            message = f"{self.name} back after {gap}: fills by stream again ({caught})"
            severity = Severity.INFO if reconciled else Severity.WARNING
            self._say(severity, SafetyKind.USER_STREAM_HEALTHY, message)

    def lost(self, why: str) -> None:
        """The connection is gone (`why`: the venue's or the socket's words)."""
        was_connected = self._connected
        self._connected = self._catching_up = False
        if was_connected and self._down_at is None:
            self._down_at = self._clock.now()
        self._update(f"lost: {why}")
        if was_connected:
            message = f"{self.name} lost ({printable(why, DETAIL_LIMIT)}): {self._while_down}"
            self._say(Severity.WARNING, SafetyKind.FEED_RECONNECT, message)

    def failed(self, why: str) -> None:
        """A (re)connection attempt failed; the stream keeps trying."""
        if not self._connected:
            self._update(f"connect failed: {why}")

    def refused(self, why: str) -> None:
        """The venue refused the key: fills by polling (the refusal is said elsewhere)."""
        if not self._connected:
            self._update(f"refused: {why}")

    def polling(self, on: bool, why: str = "") -> None:
        """Binance's watchdog polls over REST (the stream is silent while orders work),
        or stopped because the stream delivers again."""
        self._polling = on
        self._update(why if on else ("" if self._connected else self._detail))

    def closed(self) -> None:
        self._closed = True
        self._connected = self._catching_up = self._polling = False
        self._update("closed")

    # --- what is shown ----------------------------------------------------------------
    @property
    def up(self) -> bool:
        return self._connected

    def view(self) -> OrderStreamView:
        return OrderStreamView(
            venue=self.venue,
            state=self.state.value,
            since=self.since,
            detail=self._detail,
            reconciled_at=self.reconciled_at,
        )

    def _derive(self) -> StreamState:
        if self._closed:
            return StreamState.OFF
        if self._polling:
            return StreamState.POLLING
        if self._connected:
            return StreamState.RECONNECTING if self._catching_up else StreamState.STREAMING
        return StreamState.POLLING if self._polls_while_down else StreamState.RECONNECTING

    def _update(self, detail: str) -> None:
        state = self._derive()
        detail = printable(detail, DETAIL_LIMIT)
        if state is self.state and detail == self._detail:
            return
        if state is not self.state:
            self.state, self.since = state, self._clock.now()
        self._detail = detail
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                log.exception("order stream status listener failed")

    def _say(self, severity: Severity, kind: SafetyKind, message: str) -> None:
        tell(self._on_safety, SafetyEvent(self._clock.now(), severity, kind, message))
