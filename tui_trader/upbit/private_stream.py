"""MyOrderStream: Upbit's private WebSocket (`/websocket/v1/private`), subscribed to
`myOrder`: the account's order events as they happen, the broker's primary source of
fills (the REST polling in broker.py is the fallback); and, on the same connection as
Upbit asks, to `myAsset`: every change of a holding, which the broker compares with the
book (a deposit, a withdrawal or a trade made elsewhere shows in seconds, not at the
next audit). `myAsset` takes no market codes: Upbit answers WRONG_FORMAT if given any.

The connection is signed like a REST call without parameters (auth.py: a JWT with the
access key and a fresh nonce, no query hash) in the Authorization header of the
handshake. Upbit refuses a bad key at the handshake (401 with its error body): that is
reported once as a safety event and retried at the backoff's slowest pace, since a key
fixed in the keyring needs a restart anyway and polling carries on meanwhile.
Like the public feed (upbit/feed.py) it sends `PING` every third of `stale_after_s` and
takes a connection that says nothing at all for `stale_after_s` (not even `{"status":
"UP"}`) for dead: myOrder is silent while nothing trades, a silent server is not. Every
(re)connection subscribes first and then calls `on_up` (the broker polls once), so an
event missed while down is found by the poll and one racing it is deduplicated by trade.
A frame that reads as nothing Upbit sends is counted, reported at most every
BAD_REPORT_EVERY_S and skipped, never a crash."""

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from decimal import Decimal
from typing import Any

import aiohttp

from tui_trader.clock import Clock
from tui_trader.domain.events import SafetyEvent
from tui_trader.execution.order_stream import OrderStreamStatus
from tui_trader.execution.stream_reports import StreamReports
from tui_trader.resilience.retry import RECONNECT, Backoff
from tui_trader.secrets.env import ExchangeKeys
from tui_trader.text_safety import printable
from tui_trader.upbit.auth import token
from tui_trader.upbit.my_asset import MyAssetEvent, parse_my_asset
from tui_trader.upbit.my_order import MyOrderEvent, parse_my_order
from tui_trader.upbit.parse_orders import ParseError

log = logging.getLogger(__name__)
PRIVATE_WS_URL = "wss://api.upbit.com/websocket/v1/private"
EventListener = Callable[[MyOrderEvent], None]
AssetListener = Callable[[MyAssetEvent], None]
UpListener = Callable[[], Awaitable[None]]
SafetyListener = Callable[[SafetyEvent], None]


class StreamRefused(Exception):
    """Upbit refused the handshake (the key): retrying soon will not help."""


class MyOrderStream:
    def __init__(
        self,
        keys: ExchangeKeys,
        codes: Sequence[str],
        *,
        clock: Clock,
        url: str = PRIVATE_WS_URL,
        on_safety: SafetyListener | None = None,
        stale_after_s: float = 30.0,
        backoff: Backoff = RECONNECT,
    ) -> None:
        self._keys, self._codes, self._clock, self._url = keys, list(codes), clock, url
        self._on_safety, self._stale_after_s, self._backoff = on_safety, stale_after_s, backoff
        self.counts = {"connects": 0, "bad_frames": 0, "events": 0, "assets": 0}
        # up/down as the operator sees it (issue 17): down, the broker polls
        self.status = OrderStreamStatus(
            "Upbit",
            "Upbit private stream",
            clock=clock,
            polls_while_down=True,
            on_safety=on_safety,
        )
        self._reports = StreamReports(
            "Upbit private stream",
            "Upbit refused the private stream",
            self.counts,
            clock=clock,
            on_safety=on_safety,
        )
        self._on_asset: AssetListener | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(
        self, on_event: EventListener, on_up: UpListener, on_asset: AssetListener | None = None
    ) -> None:
        self._on_asset = on_asset
        if self._task is None:
            run = self._run(on_event, on_up)
            self._task = asyncio.create_task(run, name="upbit-my-order-stream")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.status.closed()

    @property
    def up(self) -> bool:
        return self.status.up

    # --- the supervisor ---------------------------------------------------------------
    async def _run(self, on_event: EventListener, on_up: UpListener) -> None:
        # the handshake is bounded; the open socket is watched by _serve, not a timeout
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10.0, sock_read=None)
        self._session = aiohttp.ClientSession(timeout=timeout)
        failures = 0
        while True:
            try:
                ws = await self._connect()
            except StreamRefused as exc:
                self.status.refused(str(exc))
                self._reports.refused(str(exc))
                await asyncio.sleep(self._backoff.max_s)
                continue
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.warning("Upbit private stream: connect failed: %r", exc)
                self.status.failed(repr(exc))
                await asyncio.sleep(self._backoff.delay(failures))
                failures += 1
                continue
            try:
                failures = 0
                reason = await self._serve(ws, on_event, on_up)
            except Exception as exc:  # a send on a dying socket, a failing reconcile: reconnect
                log.warning("Upbit private stream failed", exc_info=True)
                reason = f"failure {exc!r}"
            except BaseException:  # cancelled: closing, nothing to say
                await ws.close()
                raise
            self.status.lost(reason)  # says "Upbit private stream lost (...): polling ..."
            await ws.close()
            await asyncio.sleep(self._backoff.delay(0))

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        assert self._session is not None
        auth = {"Authorization": f"Bearer {token(self._keys.api_key, self._keys.api_secret)}"}
        try:
            ws = await self._session.ws_connect(
                self._url, headers=auth, timeout=aiohttp.ClientWSTimeout(ws_close=10.0)
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status in (401, 403):
                raise StreamRefused(f"HTTP {exc.status} {printable(exc.message, 120)}") from None
            raise
        request = [
            {"ticket": str(uuid.uuid4())},
            {"type": "myOrder", "codes": self._codes},
            {"type": "myAsset"},
        ]
        await ws.send_str(json.dumps(request))
        return ws

    async def _serve(
        self, ws: aiohttp.ClientWebSocketResponse, on_event: EventListener, on_up: UpListener
    ) -> str:
        await self._reports.serving(self.status, on_up)  # after subscribing
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            try:
                msg = await ws.receive(timeout=self._stale_after_s / 3)
            except TimeoutError:
                if loop.time() - last >= self._stale_after_s:
                    return f"silent for {self._stale_after_s:g} s"
                await ws.send_str("PING")
                continue
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                last = loop.time()
                if (why := self._frame(msg.data, on_event)) is not None:
                    return why
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                              aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):  # fmt: skip
                return "connection closed"

    def _frame(self, data: str | bytes, on_event: EventListener) -> str | None:
        """Handle one frame; returns why the connection must go (an error frame)."""
        try:
            raw: Any = json.loads(data, parse_float=Decimal)
        except ValueError:
            self._reports.bad(f"not JSON: {printable(str(data), 80)}")
            return None
        if isinstance(raw, dict) and raw.get("status") == "UP":
            return None
        if isinstance(raw, dict) and isinstance(raw.get("error"), dict):
            return f"error frame {printable(str(raw['error']), 120)}"
        try:
            if isinstance(raw, dict) and raw.get("type") == "myAsset":
                asset = parse_my_asset(raw)
                self.counts["assets"] += 1
                _handle(self._on_asset, asset)
                return None
            event = parse_my_order(raw)
        except ParseError as exc:
            self._reports.bad(str(exc))
            return None
        self.counts["events"] += 1
        _handle(on_event, event)
        return None


def _handle(listener: Callable[[Any], None] | None, event: object) -> None:
    if listener is None:
        return
    try:
        listener(event)
    except Exception:  # a bug in the broker must not end the stream
        log.exception("Upbit private stream: handling %r failed", event)
