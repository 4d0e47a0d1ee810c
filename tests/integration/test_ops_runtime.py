"""build_ops wires everything for a real trader: Slack and Telegram channels (secrets
from the environment in paper mode), the notifier, remote control and the health
endpoint, as named edge tasks; an enabled channel without its secret is a config error."""

import socket
from pathlib import Path

import aiohttp
import pytest

from tests.doubles.memory_keyring import MemoryKeyring
from tests.doubles.slack_server import SlackDouble
from tests.doubles.telegram_server import TelegramDouble
from tests.integration.conftest_notify import (  # noqa: F401
    slack_fixture,
    tasks,
    telegram_fixture,
)
from tests.trader_support import make_settings, opened, running_engine
from tui_trader.config import ConfigError
from tui_trader.ops.settings import load_ops_settings
from tui_trader.runtime.ops_tasks import build_ops
from tui_trader.secrets import SecretStore

CHAT = 777


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_all_ops_tasks_run_against_the_doubles(
    tmp_path: Path, slack: SlackDouble, telegram: TelegramDouble
) -> None:
    port = free_port()
    ops = load_ops_settings(
        slack_enabled=True,
        telegram_enabled=True,
        telegram_chat_id=CHAT,
        telegram_api_base=telegram.base_url,
        telegram_poll_s=1,
        health_port=port,
    )
    env = {"TELEGRAM_BOT_TOKEN": telegram.token, "SLACK_WEBHOOK_URL": slack.url}
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        runtime = await build_ops(trader, ops, env=env, store=None)
        names = [name for name, _ in runtime.tasks]
        assert names == [
            "notify-slack",
            "notify-telegram",
            "notifier",
            "error-logs",
            "telegram-remote",
            "health",
            "metrics",
        ]
        async with tasks(*(factory for _, factory in runtime.tasks)):
            await telegram.wait_for(lambda: telegram.polls >= 2)
            await trader.start()
            await slack.wait_requests(1)
            await telegram.wait_for(lambda: len(telegram.texts_to(CHAT)) >= 1)
            telegram.push_message(CHAT, "/status")
            await telegram.wait_for(
                lambda: any(t.startswith("PAPER spot") for t in telegram.texts_to(CHAT))
            )
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/health") as response,
            ):
                assert response.status == 200
        assert slack.delivered[0] == "[PAPER] engine IDLE → RUNNING"
        assert telegram.texts_to(CHAT)[0] == "[PAPER] engine IDLE → RUNNING"


async def test_an_enabled_channel_without_a_secret_is_a_config_error(tmp_path: Path) -> None:
    ops = load_ops_settings(telegram_enabled=True, telegram_chat_id=CHAT)
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        with pytest.raises(ConfigError, match="TELEGRAM_ENABLED=true but no telegram token"):
            await build_ops(trader, ops, env={}, store=SecretStore(MemoryKeyring()))
        nothing = await build_ops(trader, load_ops_settings(), env={}, store=None)
        assert [name for name, _ in nothing.tasks] == ["error-logs"]  # counted, not sent
        hooked = await build_ops(trader, load_ops_settings(weekly_hook="true"), env={})
        assert [name for name, _ in hooked.tasks] == ["weekly-hook", "error-logs"]
