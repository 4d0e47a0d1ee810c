"""Secrets are masked by value: a Slack webhook on a host and path no pattern knows, whose
error replies echo the path, must not reach the log, the JSONL, the journal or Telegram.

A real headless trader runs against the Slack and Telegram doubles on 127.0.0.1; the
secrets come from the environment (paper mode), as an operator's throwaway server has them."""

import asyncio
import signal
import sys
from collections.abc import Awaitable
from pathlib import Path

import pytest

from tests.doubles.slack_server import SlackDouble
from tests.doubles.telegram_server import TOKEN, TelegramDouble
from tests.faults.support import ROOT, clean_env

# Obviously fake, and shaped like nothing the redactor's patterns know.
HOOK_TOKEN = "FakeRelayToken4TestsOnly"
HOOK_PATH = f"/relay/T0FAKE01/B0FAKE02/{HOOK_TOKEN}"
CHAT_ID = 4242
RUN_LIMIT_S = 40.0


def leaks(data_dir: Path, secrets: list[str]) -> list[str]:
    """Every file of the data dir (log, JSONL, journal.db + WAL) that holds a secret."""
    found = []
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        found += [f"{path.name}: {s}" for s in secrets if s.encode() in blob]
    return found


async def run_until(env: dict[str, str], until: Awaitable[None]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui_trader", "run", "--headless", "--demo", "--speed", "0",
        env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await until
    except TimeoutError:
        pass  # the caller's assertions say what was missing
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode or 0, (out + err).decode(errors="replace")


@pytest.mark.fault("secret echoed by a webhook error", "masked in log, JSONL, journal, Telegram")
async def test_webhook_path_echoed_in_errors_is_masked_everywhere(tmp_path: Path) -> None:
    slack, telegram = SlackDouble(path=HOOK_PATH), TelegramDouble()
    slack.status, slack.echo_path = 500, True
    await slack.start()
    await telegram.start()
    env = clean_env(
        tmp_path,
        SLACK_ENABLED="true",
        SLACK_WEBHOOK_URL=slack.url,
        TELEGRAM_ENABLED="true",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_CHAT_ID=str(CHAT_ID),
        TELEGRAM_API_BASE=telegram.base_url,
        TELEGRAM_REMOTE="false",
        NOTIFY_MIN_SEVERITY="WARNING",
    )

    def breaker_told() -> bool:  # Slack's breaker opened and Telegram was told
        return any("circuit open" in text for text in telegram.texts_to(CHAT_ID))

    try:
        code, output = await run_until(env, telegram.wait_for(breaker_told, RUN_LIMIT_S))
    finally:
        await slack.stop()
        await telegram.stop()
    assert breaker_told(), "Slack's failures never reached Telegram"
    assert code == 0, output[-2000:]
    echoed = [r for r in slack.requests if r.answered == 500]
    assert echoed, "the fault was injected"
    secrets = [HOOK_TOKEN, HOOK_PATH, slack.url, TOKEN, TOKEN.split(":", 1)[1]]
    assert leaks(tmp_path, secrets) == []
    sent = "\n".join(s.text for s in telegram.sent)
    assert [s for s in secrets if s in sent] == []
    assert [s for s in secrets if s in output] == []
    # The failure itself is still told, with the secret masked.
    log = (tmp_path / "logs" / "tui-trader.log").read_text()
    assert "slack: HTTP 500" in log and "****" in log
