"""The Telegram Bot API: sendMessage and getUpdates long polling, at a configurable base
URL (TELEGRAM_API_BASE) so tests talk to a local double.

Every answer is {"ok": true, "result": ...} or {"ok": false, "error_code": N,
"description": ..., "parameters": {"retry_after": S}}. The token is part of the URL, so
no error raised here ever includes the URL."""

import json
import logging
from dataclasses import dataclass
from typing import Any

from tui_trader.notify.channel import DeliveryError
from tui_trader.notify.http import TRANSIENT_ERRORS, HttpSession, transport_error
from tui_trader.secrets.redact import Redactor, default_redactor

log = logging.getLogger("tui_trader.notify.telegram")

DEFAULT_API_BASE = "https://api.telegram.org"
PERMANENT_CODES = frozenset({400, 401, 403, 404})  # bad request, bad token, blocked, gone


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    update_id: int
    chat_id: int
    text: str
    sender: str  # for logs: the username, else the user id
    user_id: int | None = None  # message.from.id: who sent it (what authorizes a command)
    chat_type: str = ""  # "private", "group", "supergroup", "channel"


def parse_updates(result: Any) -> tuple[list[IncomingMessage], int | None]:
    """Text messages in a getUpdates result and the offset that confirms them all.
    Updates of other kinds, or malformed ones, are skipped but still confirmed."""
    if not isinstance(result, list):
        raise DeliveryError("telegram: getUpdates result is not a list")
    messages: list[IncomingMessage] = []
    last_id: int | None = None
    for update in result:
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int):
            log.warning("telegram: update without an update_id skipped")
            continue
        last_id = update_id if last_id is None else max(last_id, update_id)
        message = update.get("message")
        if not isinstance(message, dict):
            continue
        chat = message.get("chat")
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        text = message.get("text")
        if not isinstance(chat_id, int) or not isinstance(text, str):
            continue
        sender = message.get("from")
        sender = sender if isinstance(sender, dict) else {}
        user_id = sender.get("id")
        user_id = user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None
        name = str(sender.get("username") or user_id or "")[:64]
        chat_type = str(chat.get("type", ""))[:20] if isinstance(chat, dict) else ""
        messages.append(
            IncomingMessage(update_id, chat_id, text, name, user_id=user_id, chat_type=chat_type)
        )
    return messages, None if last_id is None else last_id + 1


class TelegramBot:
    def __init__(
        self,
        token: str,
        api_base: str = DEFAULT_API_BASE,
        *,
        timeout_s: float = 10.0,
        redactor: Redactor | None = None,
    ) -> None:
        if not token.strip():
            raise ValueError("the Telegram bot token is empty")
        self._token = token.strip()
        self.redactor = redactor or default_redactor()
        self.redactor.add(self._token)  # however the token was loaded, it is masked from now
        self._base = api_base.rstrip("/")
        self._http = HttpSession(timeout_s)
        self._poll_http = HttpSession(timeout_s)  # long polls get their own, longer timeout

    async def call(self, method: str, payload: dict[str, Any], *, poll_s: float = 0) -> Any:
        session = self._http
        if poll_s:
            self._poll_http.timeout_s = poll_s + self._http.timeout_s
            session = self._poll_http
        url = f"{self._base}/bot{self._token}/{method}"
        try:
            async with session.get().post(url, json=payload) as response:
                status, raw = response.status, await response.text()
        except TRANSIENT_ERRORS as exc:
            raise transport_error(f"telegram {method}", exc) from None
        return self._result(method, status, raw)

    def _result(self, method: str, status: int, raw: str) -> Any:
        try:
            answer = json.loads(raw)
        except json.JSONDecodeError:
            raise DeliveryError(f"telegram {method}: HTTP {status}, not JSON") from None
        if not isinstance(answer, dict):
            raise DeliveryError(f"telegram {method}: HTTP {status}, unexpected answer")
        if answer.get("ok") is True:
            return answer.get("result")
        code = answer.get("error_code", status)
        parameters = answer.get("parameters")
        hint = parameters.get("retry_after") if isinstance(parameters, dict) else None
        description = self.redactor.redact(str(answer.get("description", ""))[:200])
        raise DeliveryError(
            f"telegram {method}: {code} {description}",
            retry_after_s=float(hint) if isinstance(hint, int | float) else None,
            permanent=code in PERMANENT_CODES,
        )

    async def send_message(self, chat_id: int, text: str) -> None:
        """Every message (notices, command replies) is redacted here, on its way out."""
        await self.call("sendMessage", {"chat_id": chat_id, "text": self.redactor.redact(text)})

    async def get_updates(
        self, offset: int | None, timeout_s: int
    ) -> tuple[list[IncomingMessage], int | None]:
        payload: dict[str, Any] = {"timeout": timeout_s, "allowed_updates": ["message"]}
        if offset is not None:
            payload["offset"] = offset
        result = await self.call("getUpdates", payload, poll_s=max(timeout_s, 1))
        return parse_updates(result)

    async def close(self) -> None:
        await self._http.close()
        await self._poll_http.close()


class TelegramTransport:
    """The notification channel's view of the bot: one chat, plain text."""

    name = "telegram"
    max_length = 4096

    def __init__(self, bot: TelegramBot, chat_id: int) -> None:
        self.bot = bot
        self.chat_id = chat_id

    async def send(self, text: str) -> None:
        await self.bot.send_message(self.chat_id, text)

    async def close(self) -> None:
        await self.bot.close()
