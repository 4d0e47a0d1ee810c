"""How often the Alpaca broker asks for its working orders by REST: every `poll_s` while
the trade_updates stream is down (or there is none), every `stream_poll_s` while it is
up. Not never while it is up: a stream that stays connected yet stops telling would
otherwise starve fills for good; the slow pace bounds that loss to a query per working
order a minute. A failing poll (a bug) is reported, and polling goes on."""

import asyncio
from collections.abc import Awaitable, Callable


class OrderPoll:
    def __init__(
        self,
        poll_once: Callable[[], Awaitable[None]],
        streaming: Callable[[], bool],
        *,
        poll_s: float,
        stream_poll_s: float,
        on_failure: Callable[[Exception], None],
    ) -> None:
        self._poll_once, self._streaming = poll_once, streaming
        self._poll_s, self._stream_poll_s, self._on_failure = poll_s, stream_poll_s, on_failure
        self._task: asyncio.Task[None] | None = None
        self._last = 0.0  # loop time of the last poll, whoever asked for it

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="alpaca-order-poll")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def polled(self) -> None:
        self._last = asyncio.get_running_loop().time()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._poll_s)
            if self._streaming() and loop.time() - self._last < self._stream_poll_s:
                continue
            try:
                await self._poll_once()
            except Exception as exc:  # a bug here must not end the polling unheard
                self._on_failure(exc)
