"""The outbound circuit breaker: CLOSED → OPEN → HALF_OPEN → CLOSED on an injected clock;
opening is one safety event."""

import asyncio
from datetime import timedelta

import pytest

from tests.trader_support import START
from tui_trader.clock import SimulatedClock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent
from tui_trader.resilience.breaker import BreakerOpen, BreakerState, ServiceBreaker


def make(events: list[SafetyEvent]) -> tuple[ServiceBreaker, SimulatedClock]:
    clock = SimulatedClock(START)
    breaker = ServiceBreaker(
        "slack", clock, failure_threshold=3, reset_after_s=30, on_event=events.append
    )
    return breaker, clock


def test_opens_after_the_threshold_and_reports_it_once() -> None:
    events: list[SafetyEvent] = []
    breaker, _clock = make(events)
    breaker.record_failure("HTTP 500")
    breaker.record_failure("HTTP 500")
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.record_failure("timeout")
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    assert breaker.retry_in_s() == 30.0
    [event] = events
    assert (event.severity, event.kind, event.ts) == (Severity.WARNING, "breaker_open", START)
    assert event.message == (
        "slack failed 3 times in a row (last: timeout): circuit open, calls paused for 30 s"
    )
    assert event.data == {"service": "slack", "failures": 3}
    breaker.record_failure("still down")  # already open: no second event
    assert len(events) == 1


def test_a_success_resets_the_count() -> None:
    events: list[SafetyEvent] = []
    breaker, _clock = make(events)
    for _ in range(5):
        breaker.record_failure("x")
        breaker.record_failure("x")
        breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and events == []


def test_half_open_lets_one_probe_through_then_closes_or_reopens() -> None:
    events: list[SafetyEvent] = []
    breaker, clock = make(events)
    for _ in range(3):
        breaker.record_failure("down")
    clock.advance(timedelta(seconds=29))
    assert not breaker.allow() and breaker.retry_in_s() == 1.0
    clock.advance(timedelta(seconds=1))
    assert breaker.allow()
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow()  # one probe at a time
    breaker.record_failure("probe failed")
    assert breaker.state is BreakerState.OPEN and breaker.retry_in_s() == 30.0
    assert len(events) == 1  # re-opening after a probe is not announced again
    clock.advance(timedelta(seconds=30))
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert [e.kind for e in events] == ["breaker_open", "breaker_closed"]
    assert events[1].severity is Severity.INFO


async def test_call_refuses_without_trying_while_open() -> None:
    events: list[SafetyEvent] = []
    breaker, _clock = make(events)
    tries = 0

    async def failing() -> None:
        nonlocal tries
        tries += 1
        raise ConnectionError("refused")

    for _ in range(3):
        with pytest.raises(ConnectionError):
            await breaker.call(failing)
    with pytest.raises(BreakerOpen, match=r"slack: circuit open, next try in 30\.0 s"):
        await breaker.call(failing)
    assert tries == 3
    assert "ConnectionError: refused" in events[0].message


async def test_a_cancelled_probe_frees_the_slot() -> None:
    breaker, clock = make([])
    for _ in range(3):
        breaker.record_failure("down")
    clock.advance(timedelta(seconds=30))

    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await breaker.call(cancelled)
    assert breaker.allow()  # the next call may probe


def test_a_broken_sink_does_not_break_the_breaker() -> None:
    def broken(_event: SafetyEvent) -> None:
        raise RuntimeError("sink down")

    breaker = ServiceBreaker("x", SimulatedClock(START), failure_threshold=1, on_event=broken)
    breaker.record_failure("boom")
    assert breaker.state is BreakerState.OPEN


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        ServiceBreaker("x", SimulatedClock(START), failure_threshold=0)
