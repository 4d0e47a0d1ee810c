"""A dead notification service never stalls trading: a real paper trader keeps
processing its market while Slack hangs and Telegram answers 500, and its commands
still answer at once; the notices wait in the bounded queues."""

import asyncio
from pathlib import Path

from tests.doubles.slack_server import SlackDouble
from tests.doubles.telegram_server import TelegramDouble
from tests.integration.conftest_notify import (  # noqa: F401
    eventually,
    slack_fixture,
    tasks,
    telegram_fixture,
)
from tests.trader_support import make_settings, opened, running_engine
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import Severity
from tui_trader.notify.channel import Channel
from tui_trader.notify.notifier import Notifier
from tui_trader.notify.slack import SlackWebhook
from tui_trader.notify.telegram import TelegramBot, TelegramTransport
from tui_trader.resilience.retry import Backoff

FAST = Backoff(attempts=2, base_s=0.05, max_s=0.1, jitter=0.0)


async def test_hanging_and_failing_services_never_stall_the_trader(
    tmp_path: Path, slack: SlackDouble, telegram: TelegramDouble
) -> None:
    slack.hang = True  # accepts the request, never answers
    telegram.send_status = 500
    slack_channel = Channel(SlackWebhook(slack.url, timeout_s=30), min_interval_s=0.1)
    bot = TelegramBot(telegram.token, telegram.base_url, timeout_s=0.5)
    telegram_channel = Channel(TelegramTransport(bot, 1), min_interval_s=0.1, backoff=FAST)
    notifier = Notifier(
        [slack_channel, telegram_channel], SystemClock(), min_severity=Severity.INFO
    )
    trader = opened(make_settings(tmp_path, SIM_SPEED="600"))  # 10 market minutes a second
    async with running_engine(trader):
        feed_loop = dict(trader.edge_tasks())["feed"]
        market = trader.core.parts.market
        await notifier.step(trader.snapshot())  # watching from here on
        async with tasks(
            feed_loop,
            slack_channel.run,
            telegram_channel.run,
            lambda: notifier.run(trader.snapshot, poll_s=0.05),
        ):
            await trader.start()
            await slack.wait_requests(1)  # "engine IDLE → RUNNING" hangs in Slack
            await telegram.wait_for(lambda: len(telegram.sent) >= 2)  # and fails in Telegram
            first = market.last_event_at
            assert first is not None
            await asyncio.sleep(0.5)
            last = market.last_event_at
            assert last is not None and (last - first).total_seconds() >= 60

            loop = asyncio.get_running_loop()
            started = loop.time()
            await trader.kill(source="test")
            assert loop.time() - started < 0.5
            await eventually(lambda: telegram_channel.pending + slack_channel.pending >= 2)
            assert slack_channel.delivered == 0 and telegram_channel.delivered == 0
            assert len(slack.requests) == 1  # one hanging request, nothing piled up behind it
    assert trader.snapshot().kill_switch_active
