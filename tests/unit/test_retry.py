"""The shared retry helper: delays hand-computed, give-up, no retry on permanent errors."""

import asyncio

import pytest

from tui_trader.resilience.retry import RECONNECT, Backoff, retry_async


class Flaky:
    """Fails `failures` times, then answers "done"; counts calls."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.error = error or ConnectionError("down")

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Hinted(Exception):
    retry_after_s = 7.0


def test_delays_grow_exponentially_up_to_the_cap() -> None:
    backoff = Backoff(attempts=8, base_s=1.0, factor=2.0, max_s=30.0, jitter=0.0)
    assert [backoff.delay(n) for n in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_jitter_spreads_the_delay_around_its_value() -> None:
    backoff = Backoff(base_s=2.0, jitter=0.1)
    assert backoff.delay(0, rand=0.0) == pytest.approx(1.8)
    assert backoff.delay(0, rand=0.5) == pytest.approx(2.0)
    assert backoff.delay(1, rand=0.75) == pytest.approx(4.2)


@pytest.mark.parametrize(
    "kwargs", [{"attempts": 0}, {"factor": 0.5}, {"jitter": 1.0}, {"base_s": -1.0}]
)
def test_bad_backoff_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="Backoff"):
        Backoff(**kwargs)  # type: ignore[arg-type]


async def test_succeeds_after_two_failures_with_the_computed_waits() -> None:
    action, sleeps = Flaky(2), Sleeps()
    backoff = Backoff(attempts=4, base_s=0.5, factor=3.0, jitter=0.0)
    assert await retry_async(action, backoff, sleep=sleeps) == "done"
    assert action.calls == 3
    assert sleeps.delays == [0.5, 1.5]


async def test_gives_up_after_the_last_attempt_with_the_last_error() -> None:
    action, sleeps = Flaky(10), Sleeps()
    with pytest.raises(ConnectionError, match="down"):
        await retry_async(action, Backoff(attempts=3, base_s=1.0, jitter=0.0), sleep=sleeps)
    assert action.calls == 3
    assert sleeps.delays == [1.0, 2.0]


async def test_an_error_retry_if_rejects_is_raised_at_once() -> None:
    action, sleeps = Flaky(1, ValueError("bad request")), Sleeps()
    with pytest.raises(ValueError, match="bad request"):
        await retry_async(
            action, Backoff(), retry_if=lambda e: not isinstance(e, ValueError), sleep=sleeps
        )
    assert action.calls == 1 and sleeps.delays == []


async def test_a_server_retry_after_hint_replaces_the_backoff() -> None:
    action, sleeps = Flaky(1, Hinted("429")), Sleeps()
    assert await retry_async(action, Backoff(base_s=1.0, jitter=0.0), sleep=sleeps) == "done"
    assert sleeps.delays == [7.0]


async def test_cancellation_is_never_retried() -> None:
    calls = 0

    async def cancelled() -> None:
        nonlocal calls
        calls += 1
        raise asyncio.CancelledError

    sleeps = Sleeps()
    with pytest.raises(asyncio.CancelledError):
        await retry_async(cancelled, Backoff(), sleep=sleeps)
    assert calls == 1 and sleeps.delays == []


@pytest.mark.parametrize("rand", [0.0, 0.3, 0.999])
def test_reconnects_spread_widely_and_never_pass_the_cap(rand: float) -> None:
    """The one Backoff also paces stream reconnects: half to one and a half times the
    doubling delay, capped at 30 s, and still a number after 500 failures in a row."""
    for retry, raw in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 30.0), (500, 30.0)]:
        delay = RECONNECT.delay(retry, rand)
        assert raw * 0.5 <= delay <= min(30.0, raw * 1.5)


def test_random_jitter_stays_inside_its_band() -> None:
    backoff = Backoff(base_s=2.0, jitter=0.25)
    delays = {backoff.delay(1) for _ in range(200)}
    assert len(delays) > 1 and all(3.0 <= d <= 5.0 for d in delays)
