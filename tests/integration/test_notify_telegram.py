"""Telegram channel against the local Bot API double: delivered to the chat, rate limited
and coalesced, bad token dropped (401 is permanent), token never in an error."""

import pytest

from tests.doubles.telegram_server import TelegramDouble
from tests.integration.conftest_notify import eventually, tasks, telegram_fixture  # noqa: F401
from tui_trader.notify.channel import Channel, DeliveryError
from tui_trader.notify.telegram import TelegramBot, TelegramTransport, parse_updates
from tui_trader.resilience.retry import Backoff

CHAT = 4242
FAST = Backoff(attempts=2, base_s=0.05, max_s=0.1, jitter=0.0)


def channel(telegram: TelegramDouble, token: str | None = None, interval: float = 0.1) -> Channel:
    bot = TelegramBot(token or telegram.token, telegram.base_url, timeout_s=0.5)
    return Channel(TelegramTransport(bot, CHAT), min_interval_s=interval, backoff=FAST)


async def test_a_notice_reaches_the_configured_chat(telegram: TelegramDouble) -> None:
    ch = channel(telegram)
    ch.submit("[PAPER] KILL SWITCH ACTIVE: operator: kill switch pressed")
    async with tasks(ch.run):
        await eventually(lambda: ch.delivered == 1)
    assert telegram.texts_to(CHAT) == ["[PAPER] KILL SWITCH ACTIVE: operator: kill switch pressed"]


async def test_bursts_coalesce_under_one_message_per_second(telegram: TelegramDouble) -> None:
    ch = channel(telegram, interval=1.0)
    async with tasks(ch.run):
        ch.submit("a")
        await telegram.wait_for(lambda: len(telegram.sent) == 1)
        ch.submit("b")
        ch.submit("c")
        await eventually(lambda: ch.delivered == 3, within_s=3)
    assert telegram.texts_to(CHAT) == ["a", "b\nc"]
    assert telegram.sent[1].at - telegram.sent[0].at >= 0.95


async def test_a_wrong_token_is_permanent_and_not_retried(telegram: TelegramDouble) -> None:
    ch = channel(telegram, token="999:wrong-token-wrong-token-wrong-token-x")
    ch.submit("never")
    async with tasks(ch.run):
        await eventually(lambda: ch.dropped == 1)
    assert telegram.sent == []


async def test_errors_never_carry_the_token(telegram: TelegramDouble) -> None:
    telegram.send_status = 500
    bot = TelegramBot(telegram.token, telegram.base_url, timeout_s=0.5)
    with pytest.raises(DeliveryError) as caught:
        await bot.send_message(CHAT, "x")
    assert telegram.token not in str(caught.value)
    assert str(caught.value) == "telegram sendMessage: 500 Internal Server Error"
    assert not caught.value.permanent
    await bot.close()
    closed = TelegramBot(telegram.token, "http://127.0.0.1:1", timeout_s=0.5)
    with pytest.raises(DeliveryError) as refused:
        await closed.send_message(CHAT, "x")
    assert telegram.token not in str(refused.value)
    await closed.close()


def test_malformed_updates_are_skipped_but_confirmed() -> None:
    result = [
        {"update_id": 7, "message": {"chat": {"id": 1}, "text": "/status"}},
        {"update_id": 8, "edited_message": {"chat": {"id": 1}, "text": "x"}},
        {"update_id": 9, "message": {"chat": "not a dict", "text": "/kill"}},
        {"no_id": True},
        "garbage",
    ]
    messages, offset = parse_updates(result)
    assert [(m.update_id, m.chat_id, m.text) for m in messages] == [(7, 1, "/status")]
    assert offset == 10
    with pytest.raises(DeliveryError, match="not a list"):
        parse_updates({"ok": True})
