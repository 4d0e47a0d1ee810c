"""Slack channel against the local webhook double: delivered, ≤ 1 message per interval
with bursts coalesced, retried, dropped only when undeliverable, breaker on outage."""

from pathlib import Path

from tests.doubles.slack_server import SlackDouble
from tests.integration.conftest_notify import eventually, slack_fixture, tasks  # noqa: F401
from tests.trader_support import START
from tui_trader.clock import SystemClock
from tui_trader.domain.events import SafetyEvent
from tui_trader.notify.channel import Channel
from tui_trader.notify.slack import SlackWebhook
from tui_trader.resilience.breaker import BreakerState, ServiceBreaker
from tui_trader.resilience.retry import Backoff

FAST = Backoff(attempts=2, base_s=0.05, max_s=0.1, jitter=0.0)


def channel(
    slack: SlackDouble,
    interval: float = 0.1,
    max_pending: int = 200,
    breaker: ServiceBreaker | None = None,
) -> Channel:
    return Channel(
        SlackWebhook(slack.url, timeout_s=0.5),
        min_interval_s=interval,
        backoff=FAST,
        max_pending=max_pending,
        breaker=breaker,
    )


async def test_a_notice_is_delivered(slack: SlackDouble) -> None:
    ch = channel(slack)
    ch.submit("[PAPER] engine IDLE → RUNNING")
    async with tasks(ch.run):
        await slack.wait_requests(1)
        await eventually(lambda: ch.delivered == 1)
    assert slack.delivered == ["[PAPER] engine IDLE → RUNNING"]
    assert (ch.sends, ch.pending, ch.dropped) == (1, 0, 0)


async def test_at_most_one_message_per_second_and_bursts_coalesce(slack: SlackDouble) -> None:
    ch = channel(slack, interval=1.0)  # the production rate
    async with tasks(ch.run):
        ch.submit("first")
        await slack.wait_requests(1)
        for n in range(5):
            ch.submit(f"burst {n}")
        await slack.wait_requests(2, within_s=3)
        await eventually(lambda: ch.delivered == 6)
    assert slack.delivered == ["first", "burst 0\nburst 1\nburst 2\nburst 3\nburst 4"]
    first, second = slack.requests
    assert second.at - first.at >= 0.95


async def test_a_failing_endpoint_is_retried_and_nothing_is_lost(slack: SlackDouble) -> None:
    slack.status = 500
    ch = channel(slack)
    async with tasks(ch.run):
        ch.submit("one")
        ch.submit("two")
        await slack.wait_requests(3)
        assert ch.delivered == 0  # three failed attempts, the notices kept
        slack.status = 200
        await eventually(lambda: ch.delivered == 2)
    assert slack.delivered == ["one\ntwo"]
    gaps = [b.at - a.at for a, b in zip(slack.requests, slack.requests[1:], strict=False)]
    assert min(gaps) >= 0.09  # retries respect the rate limit too


async def test_a_permanent_error_drops_without_retrying(slack: SlackDouble) -> None:
    slack.status = 404  # webhook revoked: retrying cannot help
    ch = channel(slack)
    async with tasks(ch.run):
        ch.submit("lost")
        await eventually(lambda: ch.dropped == 1)
    assert len(slack.requests) == 1 and ch.pending == 0


async def test_the_queue_is_bounded_and_says_what_it_dropped(slack: SlackDouble) -> None:
    slack.status = 500
    ch = channel(slack, max_pending=3)
    async with tasks(ch.run):
        for n in range(5):
            ch.submit(f"n{n}")
        assert ch.dropped == 2
        await slack.wait_requests(1)
        slack.status = 200
        await eventually(lambda: ch.pending == 0 and ch.sends == 1)
    assert slack.delivered == ["(2 older notifications were dropped)\nn2\nn3\nn4"]


async def test_an_outage_opens_the_breaker_as_a_safety_event(
    slack: SlackDouble, tmp_path: Path
) -> None:
    events: list[SafetyEvent] = []
    breaker = ServiceBreaker(
        "slack", SystemClock(), failure_threshold=2, reset_after_s=0.3, on_event=events.append
    )
    slack.status = 503
    ch = channel(slack, breaker=breaker)
    async with tasks(ch.run):
        ch.submit("during the outage")
        await eventually(lambda: breaker.state is BreakerState.OPEN)
        requests_when_open = len(slack.requests)
        assert requests_when_open == 2
        slack.status = 200
        await eventually(lambda: ch.delivered == 1)
    assert [e.kind for e in events] == ["breaker_open", "breaker_closed"]
    assert (
        "slack failed 2 times in a row (last: DeliveryError: slack: HTTP 503" in events[0].message
    )
    assert events[0].ts >= START
    assert slack.delivered == ["during the outage"]


async def test_long_text_is_cut_to_the_transport_limit(slack: SlackDouble) -> None:
    ch = channel(slack)
    ch.submit("x" * 5000)
    async with tasks(ch.run):
        await eventually(lambda: ch.delivered == 1)
    [text] = slack.delivered
    assert len(text) == SlackWebhook.max_length and text.endswith("…")
