"""Telegram remote control against the Bot API double and a real paper trader: only the
configured chat is obeyed, /kill needs its one-time code within 60 s (injected clock),
commands queued while stopped are not executed, every command answers."""

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.doubles.telegram_server import TelegramDouble
from tests.integration.conftest_notify import tasks, telegram_fixture  # noqa: F401
from tests.trader_support import START, feed, make_settings, opened, running_engine, sim_events
from tui_trader.clock import SimulatedClock
from tui_trader.domain.enums import EngineState
from tui_trader.notify.remote import RemoteControl
from tui_trader.notify.telegram import TelegramBot
from tui_trader.runtime.trader import Trader

OWNER = 1001
STRANGER = 666


def codes(*values: str) -> Iterator[str]:
    return iter(values)


def remote_for(
    trader: Trader, telegram: TelegramDouble, clock: SimulatedClock, *code_values: str
) -> RemoteControl:
    bot = TelegramBot(telegram.token, telegram.base_url, timeout_s=1.0)
    sequence = codes(*(code_values or ("123456",)))
    return RemoteControl(bot, OWNER, trader, clock, poll_s=1, code_factory=lambda: next(sequence))


async def test_commands_from_a_foreign_chat_are_ignored_and_logged(
    tmp_path: Path, telegram: TelegramDouble, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await trader.start()
        remote = remote_for(trader, telegram, SimulatedClock(START))
        async with tasks(remote.run):
            await telegram.wait_for(lambda: telegram.polls >= 2)  # past the backlog, polling
            with caplog.at_level(logging.WARNING, logger="tui_trader.notify.remote"):
                telegram.push_message(STRANGER, "/stop", username="mallory")
                telegram.push_message(STRANGER, "/kill")
                telegram.push_message(OWNER, "/status")
                await telegram.wait_for(lambda: len(telegram.texts_to(OWNER)) == 1)
        assert telegram.texts_to(STRANGER) == []
        assert remote.ignored == 2
        assert trader.snapshot().engine_state is EngineState.RUNNING
        assert not trader.snapshot().kill_switch_active
        ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
        assert ignored[0] == (
            "telegram: ignored '/stop' from chat 666 (mallory): not the configured chat"
        )
        assert len(ignored) == 2
        assert telegram.texts_to(OWNER)[0].startswith("PAPER spot: engine RUNNING")


async def test_kill_needs_the_right_code_within_60_seconds(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        clock = SimulatedClock(START)
        bot = TelegramBot("1:unused-token", "http://127.0.0.1:1")
        sequence = codes("111111", "222222", "333333")
        remote = RemoteControl(bot, OWNER, trader, clock, code_factory=lambda: next(sequence))

        assert await remote.handle("123456") == "no kill request pending; send /kill first"
        asked = await remote.handle("/kill")
        assert asked == "To halt trading (positions kept), send this code within 60 s: 111111"
        assert await remote.handle("999999") == (
            "wrong code; kill switch NOT activated. Send /kill for a new code"
        )
        assert await remote.handle("111111") == "no kill request pending; send /kill first"
        assert not trader.snapshot().kill_switch_active

        await remote.handle("/kill")  # 222222
        clock.advance(timedelta(seconds=61))
        assert await remote.handle("222222") == (
            "code expired; kill switch NOT activated. Send /kill again"
        )
        assert not trader.snapshot().kill_switch_active

        await remote.handle("/kill close")  # 333333
        clock.advance(timedelta(seconds=59))
        answer = await remote.handle("/kill 333333")
        assert answer.startswith("KILL SWITCH ACTIVE; closing positions.")
        snap = trader.snapshot()
        assert snap.kill_switch_active and snap.kill_reason == "telegram: kill switch pressed"
        await bot.close()


async def test_kill_round_trip_over_the_bot_api(tmp_path: Path, telegram: TelegramDouble) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        remote = remote_for(trader, telegram, SimulatedClock(START), "424242")
        async with tasks(remote.run):
            await telegram.wait_for(lambda: telegram.polls >= 2)
            telegram.push_message(OWNER, "/kill")
            await telegram.wait_for(lambda: len(telegram.texts_to(OWNER)) == 1)
            assert telegram.texts_to(OWNER)[0].endswith("within 60 s: 424242")
            telegram.push_message(OWNER, "424242")
            await telegram.wait_for(lambda: len(telegram.texts_to(OWNER)) == 2)
        assert telegram.texts_to(OWNER)[1].startswith("KILL SWITCH ACTIVE; positions kept.")
        assert trader.snapshot().kill_switch_active


async def test_commands_sent_while_stopped_are_not_executed(
    tmp_path: Path, telegram: TelegramDouble
) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        telegram.push_message(OWNER, "/start")  # queued before the remote runs
        remote = remote_for(trader, telegram, SimulatedClock(START))
        async with tasks(remote.run):
            await telegram.wait_for(lambda: telegram.polls >= 2)
            telegram.push_message(OWNER, "/help")
            await telegram.wait_for(lambda: len(telegram.texts_to(OWNER)) == 1)
        assert trader.snapshot().engine_state is EngineState.IDLE
        assert telegram.texts_to(OWNER)[0].startswith("/status  engine, kill switch")


async def test_every_command_answers_through_the_command_api(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await feed(trader, sim_events(trader), 10)
        remote = RemoteControl(
            TelegramBot("1:unused-token", "http://127.0.0.1:1"),
            OWNER,
            trader,
            SimulatedClock(START),
        )
        assert await remote.handle("/start") == "trading started"
        assert trader.snapshot().engine_state is EngineState.RUNNING
        assert await remote.handle("/start") == "refused: cannot go from RUNNING to RUNNING"
        assert await remote.handle("/positions") == "no open positions"
        assert await remote.handle("/orders") == "no open orders"
        pnl = await remote.handle("/pnl@tui_trader_bot")
        assert pnl.splitlines()[0] == "equity 10000.00 USDT (cash 10000.00)"
        assert await remote.handle("/stop") == (
            "trading stopped; open positions kept, protective exits stay armed"
        )
        assert trader.snapshot().engine_state is EngineState.IDLE
        assert await remote.handle("/kill now") == "usage: /kill or /kill close"
        assert await remote.handle("hello") == "unknown command; /help lists them"


async def test_in_a_private_chat_only_its_own_user_commands(
    tmp_path: Path, telegram: TelegramDouble
) -> None:
    async with running_engine(opened(make_settings(tmp_path))) as trader:
        await trader.start()
        remote = remote_for(trader, telegram, SimulatedClock(START))
        async with tasks(remote.run):
            await telegram.wait_for(lambda: telegram.polls >= 2)
            telegram.push_message(OWNER, "/stop", user_id=STRANGER)  # forwarded or spoofed
            telegram.push_message(OWNER, "/status")
            await telegram.wait_for(lambda: len(telegram.texts_to(OWNER)) == 1)
        assert (remote.unauthorized, remote.ignored) == (1, 0)
        assert trader.snapshot().engine_state is EngineState.RUNNING


def test_a_group_chat_without_allowed_users_is_refused() -> None:
    bot = TelegramBot("987654321:FakeBotSecretForTestsOnly_abcdef", "http://127.0.0.1:9")
    with pytest.raises(ValueError, match="needs TELEGRAM_ALLOWED_USERS"):
        RemoteControl(bot, -100123, None, SimulatedClock(START))  # type: ignore[arg-type]
