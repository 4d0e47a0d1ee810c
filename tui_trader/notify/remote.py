"""Telegram remote control: commands from the configured chat only, and in it only from
the allowed users (TELEGRAM_ALLOWED_USERS, checked on message.from.id; without a list,
only the user of a private chat, whose id is the chat's). All others are ignored, logged
and counted. Every command goes through the `TraderCommands` API, like a key in the TUI.

/kill does not kill at once: it answers with a one-time code that must be sent back
(alone or as `/kill CODE`) within 60 s. A wrong code voids it; so does a timeout."""

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tui_trader.clock import Clock
from tui_trader.notify import format as fmt
from tui_trader.notify.channel import DeliveryError
from tui_trader.notify.telegram import IncomingMessage, TelegramBot
from tui_trader.resilience.retry import Backoff, retry_async
from tui_trader.snapshot import TraderCommands

log = logging.getLogger("tui_trader.notify.remote")

CODE_TTL = timedelta(seconds=60)
HELP = "\n".join(
    [
        "/status  engine, kill switch, equity, feeds",
        "/positions  open positions",
        "/orders  open orders",
        "/pnl  equity and PnL",
        "/start  start trading",
        "/stop  stop trading (positions kept)",
        "/kill  kill switch, positions kept; /kill close also closes them (asks for a code)",
        "/help  this list",
    ]
)
REPLY_BACKOFF = Backoff(attempts=3, base_s=1.0, max_s=5.0)


def random_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


@dataclass(frozen=True, slots=True)
class PendingKill:
    code: str
    expires_at: datetime
    close_positions: bool


class RemoteControl:
    def __init__(
        self,
        bot: TelegramBot,
        chat_id: int,
        commands: TraderCommands,
        clock: Clock,
        *,
        poll_s: int = 30,
        code_factory: Callable[[], str] = random_code,
        backoff: Backoff | None = None,
        allowed_users: frozenset[int] = frozenset(),
    ) -> None:
        if chat_id < 0 and not allowed_users:  # settings refuse this first; never trust it
            raise ValueError("Telegram remote control in a group chat needs TELEGRAM_ALLOWED_USERS")
        self.bot = bot
        self.chat_id = chat_id
        self.commands = commands
        self.allowed_users = allowed_users or frozenset({chat_id})  # private: its own user
        self.ignored = 0  # messages from other chats
        self.unauthorized = 0  # messages in our chat from users not allowed to command
        self._clock = clock
        self._poll_s = poll_s
        self._code_factory = code_factory
        self._backoff = backoff or Backoff(attempts=1, base_s=1.0, max_s=60.0)
        self._pending: PendingKill | None = None
        self._actions: dict[str, Callable[[str], Awaitable[str]]] = {
            "/status": self._status,
            "/positions": self._positions,
            "/orders": self._orders,
            "/pnl": self._pnl,
            "/start": self._start,
            "/stop": self._stop,
            "/kill": self._kill,
            "/help": self._help,
        }

    # --- commands ---------------------------------------------------------------------
    async def handle(self, text: str) -> str:
        """The reply to one message from the configured chat."""
        command, _, argument = text.strip().partition(" ")
        command = command.split("@", 1)[0].lower()  # /status@my_bot in group chats
        if command.isdigit():  # a kill code sent back on its own
            return await self._confirm(command)
        action = self._actions.get(command)
        if action is None:
            return "unknown command; /help lists them"
        try:
            return await action(argument.strip())
        except ValueError as exc:  # the command API's refusals are for the operator
            return f"refused: {exc}"

    async def _status(self, _arg: str) -> str:
        return fmt.status_text(self.commands.snapshot(), self._clock.now())

    async def _positions(self, _arg: str) -> str:
        return fmt.positions_text(self.commands.snapshot())

    async def _orders(self, _arg: str) -> str:
        return fmt.orders_text(self.commands.snapshot())

    async def _pnl(self, _arg: str) -> str:
        return fmt.pnl_text(self.commands.snapshot())

    async def _help(self, _arg: str) -> str:
        return HELP

    async def _start(self, _arg: str) -> str:
        await self.commands.start()
        return "trading started"

    async def _stop(self, _arg: str) -> str:
        await self.commands.stop()
        return "trading stopped; open positions kept, protective exits stay armed"

    async def _kill(self, argument: str) -> str:
        if argument.isdigit():
            return await self._confirm(argument)
        if argument not in ("", "close"):
            return "usage: /kill or /kill close"
        close = argument == "close"
        code = self._code_factory()
        self._pending = PendingKill(code, self._clock.now() + CODE_TTL, close)
        what = "close all positions and halt" if close else "halt trading (positions kept)"
        return f"To {what}, send this code within 60 s: {code}"

    async def _confirm(self, code: str) -> str:
        pending, self._pending = self._pending, None  # one try per code
        if pending is None:
            return "no kill request pending; send /kill first"
        if self._clock.now() > pending.expires_at:
            return "code expired; kill switch NOT activated. Send /kill again"
        if not secrets.compare_digest(code, pending.code):
            log.warning("telegram: wrong kill code")
            return "wrong code; kill switch NOT activated. Send /kill for a new code"
        await self.commands.kill(close_positions=pending.close_positions, source="telegram")
        closing = "; closing positions" if pending.close_positions else "; positions kept"
        return f"KILL SWITCH ACTIVE{closing}. Clear it on the server: tui-trader kill --clear --yes"

    # --- polling ----------------------------------------------------------------------
    def _refused(self, message: IncomingMessage) -> tuple[str, str] | None:
        """(who, why) when the message may not command the trader; counted."""
        if message.chat_id != self.chat_id:
            self.ignored += 1
            return f"chat {message.chat_id}", "not the configured chat"
        if message.user_id not in self.allowed_users:
            self.unauthorized += 1
            return f"user {message.user_id}", "not in TELEGRAM_ALLOWED_USERS"
        return None

    async def on_message(self, message: IncomingMessage) -> None:
        refused = self._refused(message)
        if refused is not None:
            log.warning(
                "telegram: ignored %r from %s (%s): %s",
                message.text[:40],
                refused[0],
                message.sender or "unknown sender",
                refused[1],
            )
            return
        log.info("telegram command %r from %s", message.text[:40], message.sender)
        try:
            reply = await self.handle(message.text)
        except Exception as exc:  # a failing command is answered, never fatal
            log.exception("telegram command %r failed", message.text[:40])
            reply = f"failed: {type(exc).__name__}: {exc}"
        await self._reply(reply)

    async def _reply(self, text: str) -> None:
        try:
            await retry_async(
                lambda: self.bot.send_message(self.chat_id, text),
                REPLY_BACKOFF,
                retry_if=lambda exc: not getattr(exc, "permanent", False),
                what="telegram reply",
            )
        except DeliveryError as exc:
            log.error("telegram reply not delivered: %s", exc)

    async def skip_backlog(self) -> int | None:
        """Commands queued while we were not running are not executed: an old /start or
        kill code must not act hours later. Returns the offset past them."""
        messages, offset = await self.bot.get_updates(-1, 0)
        if messages:
            log.warning("telegram: commands sent while tui-trader was not running were ignored")
        return offset

    async def run(self) -> None:
        """The remote control's edge task: long-poll until cancelled; errors back off."""
        try:
            await self._poll()
        finally:
            await self.bot.close()

    async def _poll(self) -> None:
        offset: int | None = None
        started, failures = False, 0
        while True:
            try:
                if not started:
                    offset, started = await self.skip_backlog(), True
                messages, next_offset = await self.bot.get_updates(offset, self._poll_s)
            except Exception as exc:  # network, bad answers: back off, never die
                failures += 1
                delay = self._backoff.delay(min(failures - 1, 10))
                log.warning("telegram getUpdates failed (%s); again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            offset = next_offset if next_offset is not None else offset
            for message in messages:
                await self.on_message(message)
