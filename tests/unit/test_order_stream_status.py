"""Issue 17: the order path's state per venue connection (execution/order_stream.py), as
the streams tell it: streaming / polling / reconnecting / off, since when, why, the last
catch-up after a drop, and one safety line when it drops and one when it is back."""

from datetime import UTC, datetime, timedelta

from tui_trader.clock import SimulatedClock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.execution.order_stream import OrderStreamStatus, StreamState, duration

T0 = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


class Probe:
    def __init__(self, polls_while_down: bool = True) -> None:
        self.clock = SimulatedClock(T0)
        self.events: list[SafetyEvent] = []
        self.changes = 0
        self.status = OrderStreamStatus(
            "Upbit",
            "Upbit private stream",
            clock=self.clock,
            polls_while_down=polls_while_down,
            on_safety=self.events.append,
        )
        self.status.on_change = self.count

    def count(self) -> None:
        self.changes += 1

    def later(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))


def test_before_the_first_connection_polling_carries_the_fills_and_nothing_is_said() -> None:
    p = Probe()
    view = p.status.view()
    assert (view.venue, view.state, view.since, view.detail) == (
        "Upbit", "polling", T0, "connecting")  # fmt: skip
    p.later(1)
    p.status.connected()
    assert p.status.state is StreamState.RECONNECTING and p.status.up
    p.status.caught_up()
    view = p.status.view()
    assert (view.state, view.since, view.detail) == ("streaming", T0 + timedelta(seconds=1), "")
    assert view.reconciled_at is None  # no drop: nothing was reconciled
    assert p.events == []  # the first connection is not news
    assert p.changes == 2


def test_a_drop_goes_to_polling_since_then_and_says_so_once() -> None:
    p = Probe()
    p.status.connected()
    p.status.caught_up()
    p.later(60)
    p.status.lost("connection closed")
    view = p.status.view()
    assert (view.state, view.since) == ("polling", T0 + timedelta(seconds=60))
    assert view.detail == "lost: connection closed" and not p.status.up
    (down,) = p.events
    assert (down.severity, down.kind) == (Severity.WARNING, SafetyKind.FEED_RECONNECT)
    assert down.message == "Upbit private stream lost (connection closed): polling until it is back"
    # failed reconnection attempts keep the state and its time; only the reason moves on
    p.later(5)
    p.status.failed("ClientConnectorError('refused')")
    p.status.lost("again")  # not connected: nothing to lose, nothing said
    view = p.status.view()
    assert view.since == T0 + timedelta(seconds=60) and view.detail == "lost: again"
    assert len(p.events) == 1


def test_back_after_a_drop_is_reconnecting_until_caught_up_then_streaming_and_said() -> None:
    p = Probe()
    p.status.connected()
    p.status.caught_up()
    p.status.lost("silent for 30 s")
    p.later(125)
    p.status.connected()
    assert p.status.view().state == "reconnecting" and p.status.view().detail == "catching up"
    assert len(p.events) == 1  # connected again is not back yet: the gap is being reconciled
    p.later(1)
    p.status.caught_up()
    view = p.status.view()
    assert view.state == "streaming" and view.reconciled_at == T0 + timedelta(seconds=126)
    back = p.events[-1]
    assert (back.severity, back.kind) == (Severity.INFO, SafetyKind.USER_STREAM_HEALTHY)
    assert back.message == (
        "Upbit private stream back after 2 min 6 s: fills by stream again "
        "(missed events reconciled)"
    )


def test_a_catch_up_that_fails_and_drops_again_says_back_only_once_it_really_is() -> None:
    p = Probe()
    p.status.connected()
    p.status.caught_up()
    p.status.lost("connection closed")
    p.status.connected()
    p.status.lost("failure BrokerError('503')")  # the poll after reconnecting failed
    assert [e.kind for e in p.events] == [SafetyKind.FEED_RECONNECT] * 2
    p.status.connected()
    p.status.caught_up(reconciled=False)  # Binance: the stream serves, the reconcile failed
    back = p.events[-1]
    assert back.severity is Severity.WARNING and "reconciling FAILED" in back.message
    assert p.status.view().state == "streaming" and p.status.reconciled_at is None
    assert p.status.view().detail == "catch-up after reconnecting failed"


def test_a_refused_key_is_polling_with_the_venues_words_shown_literally() -> None:
    p = Probe()
    p.status.refused("HTTP 401 [b]jwt\x1b[31m invalid")
    view = p.status.view()
    assert view.state == "polling" and view.detail == "refused: HTTP 401 [b]jwt invalid"
    assert p.events == []  # StreamReports says the refusal, once


def test_binance_down_is_reconnecting_and_its_watchdog_makes_it_polling() -> None:
    p = Probe(polls_while_down=False)
    assert p.status.state is StreamState.RECONNECTING
    p.status.connected()
    p.status.caught_up()
    p.later(61)
    p.status.polling(True, "silent 61 s with orders working")
    view = p.status.view()
    assert (view.state, view.detail) == ("polling", "silent 61 s with orders working")
    p.status.lost("polling found events the stream did not deliver")
    assert p.status.state is StreamState.POLLING  # the watchdog still polls
    p.status.connected()
    p.status.caught_up()
    assert p.status.state is StreamState.POLLING  # until an event proves the stream alive
    p.status.polling(False)
    assert p.status.view().state == "streaming" and p.status.view().detail == ""
    p.status.lost("eventStreamTerminated")
    assert p.status.state is StreamState.RECONNECTING  # down, nothing polls while idle


def test_closed_is_off_and_an_idle_repeat_changes_nothing() -> None:
    p = Probe()
    p.status.connected()
    p.status.caught_up()
    changes = p.changes
    p.status.polling(False)  # nothing new: the snapshot need not be rebuilt
    assert p.changes == changes
    p.status.closed()
    assert p.status.view().state == "off" and not p.status.up
    assert len(p.events) == 0  # closing is not a drop


def test_a_broken_listener_never_breaks_the_stream() -> None:
    p = Probe()

    def broken(_event: SafetyEvent | None = None) -> None:
        raise RuntimeError("bug")

    p.status.on_change = broken
    p.status._on_safety = broken
    p.status.connected()
    p.status.caught_up()
    p.status.lost("x")
    assert p.status.state is StreamState.POLLING


def test_durations_read_as_a_trader_says_them() -> None:
    assert [duration(s) for s in (-1, 12.7, 184, 7500)] == [
        "0 s", "12 s", "3 min 4 s", "2 h 5 min"]  # fmt: skip
