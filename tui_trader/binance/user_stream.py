"""User data streams, re-subscribed after every drop.

The loop (`UserStream`) is shared; the markets differ in how they subscribe:
- spot: `userDataStream.subscribe.signature` over the WebSocket API (python-binance's
  user socket). python-binance reconnects the WebSocket API connection by itself but
  never renews the subscription, so events stop silently. We switch its reconnects off
  (MAX_RECONNECTS = 0): a drop then ends its read loop and puts an {"e": "error"} dict
  on our queue;
- USD-M futures: a listenKey and /private/ws (see futures_stream.py).
Either way we close the old connection, open a fresh one (new queue, no stale error
dicts) and ask the owner to reconcile what may have happened meanwhile."""

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from binance.ws.keepalive_websocket import KeepAliveWebsocket

from tui_trader.binance.aio import cancel_and_wait
from tui_trader.execution.order_stream import OrderStreamStatus
from tui_trader.resilience.retry import RECONNECT, Backoff

log = logging.getLogger(__name__)
EventHandler = Callable[[dict[str, Any]], None]
ResubscribeHandler = Callable[[str], Awaitable[None]]
# Events after which the subscription is over and must be made again.
_ENDINGS = frozenset({"eventStreamTerminated", "listenKeyExpired"})


class UserStream(ABC):
    def __init__(
        self,
        client: Any,
        on_event: EventHandler,
        on_resubscribed: ResubscribeHandler,
        *,
        backoff: Backoff | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        self._client = client
        self._on_event, self._on_resubscribed = on_event, on_resubscribed
        self._backoff = backoff or RECONNECT
        self._timeout_s = timeout_s
        self.subscribed = asyncio.Event()
        self._restart: asyncio.Queue[str] = asyncio.Queue()
        # up/down as the operator sees it (issue 17), when the owner keeps one
        self.status: OrderStreamStatus | None = None

    @abstractmethod
    async def _open(self) -> Any:
        """A new, entered socket whose recv() yields user data events."""

    @abstractmethod
    async def _reset(self, sock: Any) -> None:
        """Close `sock` for good, never raising."""

    @abstractmethod
    async def close(self) -> None:
        """Release the connection after `run` was cancelled."""

    async def run(self) -> None:
        """Subscribe, hand events over, re-subscribe after drops; runs until cancelled."""
        failures, reason = 0, ""
        while True:
            try:
                sock = await self._open()
            except Exception as exc:  # exchange unreachable or refusing: retry later
                log.warning("user data subscription failed: %r", exc)
                if self.status is not None:
                    self.status.failed(repr(exc))
                await asyncio.sleep(self._backoff.delay(failures))
                failures += 1
                continue
            self.subscribed.set()
            if self.status is not None:
                self.status.connected()
            reconciled = True
            if reason:
                try:
                    await self._on_resubscribed(reason)
                except Exception:  # reconciliation failing must not end the stream
                    log.exception("reconciling after a user data re-subscription failed")
                    reconciled = False
            if self.status is not None:
                self.status.caught_up(reconciled)
            failures = 0
            try:
                reason = await self._pump_until_restart(sock)
            finally:
                self.subscribed.clear()
            if self.status is not None:
                self.status.lost(reason)
            await self._reset(sock)
            await asyncio.sleep(self._backoff.delay(0))

    def restart(self, reason: str) -> None:
        """Drop the subscription and subscribe again (it is suspected dead)."""
        self._restart.put_nowait(reason)

    async def _pump_until_restart(self, sock: Any) -> str:
        while not self._restart.empty():  # asked before this subscription existed
            self._restart.get_nowait()
        pump = asyncio.create_task(self._pump(sock))
        restart = asyncio.create_task(self._restart.get())
        try:
            done, _ = await asyncio.wait({pump, restart}, return_when=asyncio.FIRST_COMPLETED)
            return str(done.pop().result())
        finally:
            await cancel_and_wait(pump)
            await cancel_and_wait(restart)

    async def _pump(self, sock: Any) -> str:
        while True:
            event = await sock.recv()
            if not isinstance(event, dict):
                log.warning("user data event is not an object: %r", event)
                continue
            kind = event.get("e")
            if kind == "error":  # python-binance's control message: the connection is gone
                return f"{event.get('type')}: {event.get('m')}"
            if kind in _ENDINGS:
                return str(kind)
            try:
                self._on_event(event)
            except Exception:  # a bug downstream must not end the stream
                log.exception("user data handler failed on %r", event)


class SpotUserStream(UserStream):
    def __init__(
        self,
        client: Any,
        on_event: EventHandler,
        on_resubscribed: ResubscribeHandler,
        *,
        backoff: Backoff | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        super().__init__(client, on_event, on_resubscribed, backoff=backoff, timeout_s=timeout_s)
        # Request timeout of the WebSocket API, and how long closing waits for its loop.
        client.ws_api.TIMEOUT = timeout_s
        client.ws_api.MAX_RECONNECTS = 0

    async def _open(self) -> Any:
        sock = KeepAliveWebsocket(client=self._client, url="", keepalive_type="user")
        try:
            await sock.__aenter__()
        except Exception:
            await self._reset(sock)
            raise
        return sock

    async def close(self) -> None:
        """With our reconnects off, closing the connection itself ends python-binance's
        read loop at once; ws_api.close() alone would first wait out its recv timeout."""
        connection = self._client.ws_api.ws
        if connection is not None:
            with suppress(Exception):
                await connection.close()
        with suppress(Exception):
            await asyncio.wait_for(self._client.ws_api.close(), self._timeout_s * 2)

    async def _reset(self, sock: Any) -> None:
        """Wait for the dead connection's read loop to end (a new connection made while
        it runs would be torn down by it), then drop the old subscription."""
        with suppress(Exception):
            await asyncio.wait_for(self._client.ws_api.close(), self._timeout_s * 2)
        with suppress(Exception):  # unsubscribing a lost subscription fails; that is fine
            await asyncio.wait_for(sock.__aexit__(None, None, None), self._timeout_s * 2)
