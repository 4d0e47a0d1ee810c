"""The USD-M user data stream: a listenKey (POST /fapi/v1/listenKey, kept alive by
python-binance's timer with PUT) and the /private/ws?listenKey=K&events=... socket.

Since the 2026-04-23 URL split, production /private reportedly delivers nothing
without an `events` parameter, which python-binance 1.0.37 does not send, so our socket
appends it. `listenKeyExpired` ends the subscription: the next socket asks for a new
key, and the owner reconciles what happened in between."""

import asyncio
from contextlib import suppress
from typing import Any

from binance.ws.keepalive_websocket import KeepAliveWebsocket

from tui_trader.binance.user_stream import EventHandler, ResubscribeHandler, UserStream
from tui_trader.resilience.retry import Backoff

EVENTS = (
    "ORDER_TRADE_UPDATE",
    "ALGO_UPDATE",
    "ACCOUNT_UPDATE",
    "TRADE_LITE",
    "ACCOUNT_CONFIG_UPDATE",
    "MARGIN_CALL",
    "listenKeyExpired",
)


class FuturesUserSocket(KeepAliveWebsocket):  # type: ignore[misc]
    """python-binance's futures user socket, asking for our event types by name."""

    def _build_path(self) -> None:
        super()._build_path()
        path = str(getattr(self, "_path", ""))  # set by the library, untyped there
        self._path = f"{path}&events={'/'.join(EVENTS)}"


class FuturesUserStream(UserStream):
    def __init__(
        self,
        client: Any,
        stream_url: str,
        on_event: EventHandler,
        on_resubscribed: ResubscribeHandler,
        *,
        backoff: Backoff | None = None,
        timeout_s: float = 5.0,
        keepalive_s: float = 30 * 60.0,
        max_queue_size: int = 1000,
    ) -> None:
        """`stream_url`: the USD-M stream base with its trailing "/"; `keepalive_s`: how
        often the listenKey is renewed (Binance lets it lapse after 60 minutes)."""
        super().__init__(client, on_event, on_resubscribed, backoff=backoff, timeout_s=timeout_s)
        self._url = stream_url + "private/"
        self._keepalive_s, self._max_queue_size = keepalive_s, max_queue_size
        self._sock: Any = None

    @property
    def listen_key(self) -> str | None:
        return getattr(self._sock, "_listen_key", None)

    async def _open(self) -> Any:
        sock = FuturesUserSocket(
            client=self._client,
            url=self._url,
            keepalive_type="futures",
            user_timeout=self._keepalive_s,
            max_queue_size=self._max_queue_size,
        )
        sock.MAX_RECONNECTS = 0  # we reconnect ourselves, so that we can reconcile
        sock.TIMEOUT = self._timeout_s  # bounds how long closing waits for its read loop
        try:
            await asyncio.wait_for(sock.__aenter__(), self._timeout_s * 2)
        except BaseException:
            await self._reset(sock)
            raise
        self._sock = sock
        return sock

    async def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            await self._reset(sock)

    async def _reset(self, sock: Any) -> None:
        """Close the connection first: its read loop then ends at once, where __aexit__
        alone would wait for the loop's receive timeout to run out."""
        with suppress(Exception):
            if sock.ws is not None:
                await asyncio.wait_for(sock.ws.close(), self._timeout_s)
        with suppress(Exception):
            await asyncio.wait_for(sock.__aexit__(None, None, None), self._timeout_s * 2)
