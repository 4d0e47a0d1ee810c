"""Telegram control in a group chat: only users on TELEGRAM_ALLOWED_USERS command it
(checked on message.from.id); a group without the list does not start at all.

A real headless trader runs against the Telegram Bot API double on 127.0.0.1."""

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from tests.doubles.telegram_server import TOKEN, TelegramDouble
from tests.faults.support import ROOT, assert_one_line_failure, clean_env, run_cli

GROUP = -1001234567890  # Telegram group ids are negative
OPERATOR = 1001
MEMBER = 666  # in the group, not on the list


def telegram_env(data: Path, base_url: str, **extra: str) -> dict[str, str]:
    return clean_env(
        data,
        TELEGRAM_ENABLED="true",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_CHAT_ID=str(GROUP),
        TELEGRAM_API_BASE=base_url,
        TELEGRAM_POLL_S="1",
        NOTIFY_SIGNALS="false",
        NOTIFY_MIN_SEVERITY="CRITICAL",
        **extra,
    )


@pytest.mark.fault("Telegram /kill from a group member not allowed", "ignored, logged")
async def test_a_group_member_not_on_the_allow_list_cannot_kill(tmp_path: Path) -> None:
    telegram = TelegramDouble()
    await telegram.start()
    env = telegram_env(tmp_path, telegram.base_url, TELEGRAM_ALLOWED_USERS=str(OPERATOR))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui_trader", "run", "--headless", "--demo", "--speed", "1",
        env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await telegram.wait_for(lambda: telegram.polls >= 2, 30)  # past the backlog, polling
        telegram.push_message(GROUP, "/kill", username="mallory", user_id=MEMBER)
        telegram.push_message(GROUP, "/kill close", username="mallory", user_id=MEMBER)
        telegram.push_message(GROUP, "/status", username="op", user_id=OPERATOR)
        await telegram.wait_for(lambda: len(telegram.texts_to(GROUP)) >= 1, 15)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
        await telegram.stop()
    replies = telegram.texts_to(GROUP)
    assert len(replies) == 1 and replies[0].startswith("PAPER"), replies  # /status only
    assert not (tmp_path / "KILL_SWITCH").exists()
    log = (tmp_path / "logs" / "tui-trader.log").read_text()
    ignored = [line for line in log.splitlines() if "not in TELEGRAM_ALLOWED_USERS" in line]
    assert len(ignored) == 2 and "from user 666 (mallory)" in ignored[0]
    assert "Traceback" not in err.decode()


@pytest.mark.fault("Telegram control in a group without an allow-list", "exit 2, names setting")
def test_a_group_chat_without_an_allow_list_refuses_to_start(tmp_path: Path) -> None:
    env = telegram_env(tmp_path, "http://127.0.0.1:9")
    done = run_cli("run", "--headless", "--demo", "--duration", "1", env=env)
    assert_one_line_failure(done, 2, "TELEGRAM_ALLOWED_USERS", "TELEGRAM_REMOTE=false")
    # Notifications alone are fine in a group: nobody can command anything.
    quiet = run_cli("doctor", env=env | {"TELEGRAM_REMOTE": "false"}, deadline=30)
    assert "TELEGRAM_ALLOWED_USERS" not in quiet.stdout + quiet.stderr
