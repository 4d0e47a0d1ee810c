"""A local Telegram Bot API double: aiohttp on 127.0.0.1 (random port).

Serves /bot<TOKEN>/sendMessage and /bot<TOKEN>/getUpdates with the real answer shapes
({"ok": true, "result": ...} / {"ok": false, "error_code": ..., "description": ...}).
getUpdates long-polls (up to `max_poll_s`, short so tests end fast) and honours offset,
including a negative offset (the last -offset updates; older ones are forgotten).
Faults: `send_status` answers sendMessage with that error code; `hang_send` never
answers sendMessage until stopped. A wrong token gets 401 Unauthorized."""

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmno"


@dataclass(frozen=True)
class Sent:
    at: float
    chat_id: int
    text: str
    answered: int


class TelegramDouble:
    def __init__(self, token: str = TOKEN, max_poll_s: float = 0.3) -> None:
        self.token = token
        self.max_poll_s = max_poll_s
        self.sent: list[Sent] = []
        self.updates: list[dict[str, Any]] = []  # not yet confirmed
        self.confirmed_up_to = 0  # every update_id below this was confirmed by offset
        self.polls = 0  # getUpdates calls received
        self.send_status = 200
        self.hang_send = False
        self._next_update = 1000
        self._changed = asyncio.Event()  # anything happened (test waiters)
        self._arrived = asyncio.Event()  # a new update (ends a long poll)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def texts_to(self, chat_id: int) -> list[str]:
        return [s.text for s in self.sent if s.chat_id == chat_id and s.answered == 200]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/sendMessage", self._send)
        app.router.add_post("/bot{token}/getUpdates", self._get_updates)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def push_message(
        self, chat_id: int, text: str, username: str = "operator", user_id: int | None = None
    ) -> int:
        """A text message in `chat_id` from `user_id` (default: the private chat's own user;
        a negative chat id is a group, as on Telegram)."""
        update_id = self._next_update
        self._next_update += 1
        self.updates.append(
            {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "date": 0,
                    "chat": {"id": chat_id, "type": "group" if chat_id < 0 else "private"},
                    "from": {
                        "id": chat_id if user_id is None else user_id,
                        "is_bot": False,
                        "username": username,
                    },
                    "text": text,
                },
            }
        )
        self._arrived.set()
        self._changed.set()
        return update_id

    async def wait_for(self, predicate: Any, within_s: float = 5.0) -> None:
        async def reached() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reached(), within_s)

    def _authorized(self, request: web.Request) -> bool:
        return request.match_info["token"] == self.token

    @staticmethod
    def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=code)

    async def _send(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(401, "Unauthorized")
        payload = await request.json()
        now = asyncio.get_running_loop().time()
        chat_id, text = int(payload["chat_id"]), str(payload["text"])
        if self.hang_send:
            self.sent.append(Sent(now, chat_id, text, 0))
            self._changed.set()
            await self._release.wait()
            return self._error(500, "Internal Server Error: released")
        self.sent.append(Sent(now, chat_id, text, self.send_status))
        self._changed.set()
        if self.send_status != 200:
            return self._error(self.send_status, "Internal Server Error")
        return web.json_response({"ok": True, "result": {"message_id": len(self.sent)}})

    async def _get_updates(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(401, "Unauthorized")
        payload = await request.json()
        self.polls += 1
        self._confirm(payload.get("offset"))
        self._changed.set()
        poll = min(float(payload.get("timeout", 0)), self.max_poll_s)
        if not self.updates and poll > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), poll)
        return web.json_response({"ok": True, "result": list(self.updates)})

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int):
            return
        if offset < 0:  # the last -offset updates; everything older is forgotten
            self.updates = self.updates[offset:]
            if self.updates:
                self.confirmed_up_to = self.updates[0]["update_id"]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            self.confirmed_up_to = max(self.confirmed_up_to, offset)
