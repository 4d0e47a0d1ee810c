"""A local Slack incoming-webhook double: aiohttp on 127.0.0.1 (random port).

POST /services/T000/B000/XXXX with {"text": ...} answers 200 "ok", like Slack. Faults:
`status` (answer with this HTTP status instead), `hang` (never answer until stopped),
`echo_path` (error replies quote the request path, as some proxies and self-hosted
webhook relays do). The webhook path may be changed (`path=`), e.g. a relay's own.
Every request is recorded with its arrival time (loop clock) for rate assertions."""

import asyncio
from dataclasses import dataclass

from aiohttp import web

WEBHOOK_PATH = "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"


@dataclass(frozen=True)
class Received:
    at: float  # loop.time() on arrival
    text: str
    answered: int  # HTTP status sent back (0 = hung)


class SlackDouble:
    def __init__(self, path: str = WEBHOOK_PATH) -> None:
        self.path = path
        self.echo_path = False
        self.requests: list[Received] = []
        self.status = 200
        self.hang = False
        self.retry_after: int | None = None
        self._changed = asyncio.Event()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def delivered(self) -> list[str]:
        """Texts Slack accepted (answered 200)."""
        return [r.text for r in self.requests if r.answered == 200]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._webhook)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_requests(self, count: int, within_s: float = 5.0) -> None:
        async def reached() -> None:
            while len(self.requests) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reached(), within_s)

    async def _webhook(self, request: web.Request) -> web.Response:
        payload = await request.json()
        text = str(payload.get("text", "")) if isinstance(payload, dict) else ""
        now = asyncio.get_running_loop().time()
        if self.hang:
            self.requests.append(Received(now, text, 0))
            self._changed.set()
            await self._release.wait()
            return web.Response(status=503, text="released")
        if not text:
            status, body = 400, "invalid_payload"
        else:
            status, body = self.status, "ok" if self.status == 200 else "server_error"
        if status != 200 and self.echo_path:
            body = f"{body}: no route for POST {request.path}"
        self.requests.append(Received(now, text, status))
        self._changed.set()
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        return web.Response(status=status, text=body, headers=headers)
