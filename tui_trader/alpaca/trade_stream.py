"""TradeUpdateStream: Alpaca's `trade_updates` websocket, the broker's primary source of
fills (REST polling in broker.py is the fallback while it is down).

Why not the SDK's TradingStream: it can run in our loop (`_run_forever` is a coroutine,
JSON frames, `url_override` works), but it gives the broker nothing it needs around the
frames: no "connected again" hook to poll and reconcile after a gap, no up/down state to
pace polling by, a refused key only logged and retried forever, no stale-connection
watch beyond websockets' 180 s ping timeout, and its TradeUpdate turns the execution's
`price` and `qty` into floats. So this is a thin adapter on aiohttp (already our
websocket library) speaking the same protocol (authenticate, listen, frames), and the
SDK still parses every event: each frame's `data` must validate as its `TradeUpdate`
model (the order inside as its `Order`); only the execution's numbers are read from the
frame's own text, as Decimals.

Every (re)connection authenticates, listens, then calls `on_up` (the broker polls its
working orders), so an event missed while down is found by the poll and one racing it
is booked once (order_memory.py). A refused key is reported once and retried at the
backoff's slowest pace; a frame that reads as nothing Alpaca sends is counted, reported
at most every BAD_REPORT_EVERY_S and skipped, never a crash."""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp

from tui_trader.alpaca.parse_orders import AlpacaOrder, ParseError, parse_order
from tui_trader.clock import Clock
from tui_trader.domain.events import SafetyEvent
from tui_trader.execution.order_stream import OrderStreamStatus
from tui_trader.execution.stream_reports import StreamReports
from tui_trader.resilience.retry import RECONNECT, Backoff
from tui_trader.secrets.env import ExchangeKeys
from tui_trader.text_safety import printable

log = logging.getLogger(__name__)
PAPER_STREAM_URL = "wss://paper-api.alpaca.markets/stream"
LIVE_STREAM_URL = "wss://api.alpaca.markets/stream"
SafetyListener = Callable[[SafetyEvent], None]


@dataclass(frozen=True, slots=True)
class TradeUpdate:
    event: str  # new, fill, partial_fill, canceled, rejected, expired, ...
    report: AlpacaOrder
    execution: tuple[Decimal, Decimal, datetime] | None  # qty, price, time of a fill


EventListener = Callable[[TradeUpdate], None]
UpListener = Callable[[], Awaitable[None]]


class StreamRefused(Exception):
    """Alpaca refused the key: retrying soon will not help."""


def parse_trade_update(data: Any) -> TradeUpdate:
    from alpaca.trading.models import TradeUpdate as SdkTradeUpdate
    from pydantic import ValidationError

    try:
        update = SdkTradeUpdate(**data)
        event = str(getattr(update.event, "value", update.event))
        execution = None
        if event in ("fill", "partial_fill"):
            qty, price = Decimal(str(data["qty"])), Decimal(str(data["price"]))
            if not (qty.is_finite() and price.is_finite()) or qty <= 0 or price <= 0:
                raise ValueError(f"execution {qty} @ {price}")
            execution = (qty, price, update.timestamp)
        return TradeUpdate(event, parse_order(update.order), execution)
    except (ValidationError, KeyError, TypeError, ValueError, InvalidOperation) as exc:
        why = printable(str(exc).replace("\n", " "), 120)
        raise ParseError(f"unreadable trade update ({why}): {printable(str(data), 120)}") from None


class TradeUpdateStream:
    def __init__(
        self,
        keys: ExchangeKeys,
        url: str,
        *,
        clock: Clock,
        on_safety: SafetyListener | None = None,
        stale_after_s: float = 30.0,
        backoff: Backoff = RECONNECT,
    ) -> None:
        self._keys, self._url, self._clock = keys, url, clock
        self._on_safety, self._stale_after_s, self._backoff = on_safety, stale_after_s, backoff
        self.counts = {"connects": 0, "bad_frames": 0, "events": 0}
        # up/down as the operator sees it (issue 17): down, the broker polls
        self.status = OrderStreamStatus(
            "Alpaca",
            "Alpaca trade updates",
            clock=clock,
            polls_while_down=True,
            on_safety=on_safety,
            while_down="polling until they are back",
        )
        self._reports = StreamReports(
            "Alpaca trade updates",
            "Alpaca refused the trade updates stream",
            self.counts,
            clock=clock,
            on_safety=on_safety,
        )
        self._task: asyncio.Task[None] | None = None

    def start(self, on_event: EventListener, on_up: UpListener) -> None:
        if self._task is None:
            self._task = asyncio.create_task(
                self._run(on_event, on_up), name="alpaca-trade-updates"
            )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self.status.closed()

    @property
    def up(self) -> bool:
        return self.status.up

    async def _run(self, on_event: EventListener, on_up: UpListener) -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10.0, sock_read=None)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            failures = 0
            while True:
                try:
                    ws = await self._connect(session)
                except StreamRefused as exc:
                    self.status.refused(str(exc))
                    self._reports.refused(str(exc))
                    await asyncio.sleep(self._backoff.max_s)
                    continue
                except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                    log.warning("Alpaca trade updates: connect failed: %r", exc)
                    self.status.failed(repr(exc))
                    await asyncio.sleep(self._backoff.delay(failures))
                    failures += 1
                    continue
                try:
                    failures = 0
                    reason = await self._serve(ws, on_event, on_up)
                except Exception as exc:  # a failing poll, a dying socket: reconnect
                    log.warning("Alpaca trade updates failed", exc_info=True)
                    reason = f"failure {exc!r}"
                except BaseException:  # cancelled: closing, nothing to say
                    await ws.close()
                    raise
                self.status.lost(reason)  # "Alpaca trade updates lost (...): polling ..."
                await ws.close()
                await asyncio.sleep(self._backoff.delay(0))

    async def _connect(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        ws = await session.ws_connect(self._url, heartbeat=self._stale_after_s / 2)
        try:
            auth = {"key_id": self._keys.api_key, "secret_key": self._keys.api_secret}
            await ws.send_str(json.dumps({"action": "authenticate", "data": auth}))
            reply = await self._control(ws)
            status = reply["data"].get("status")
            if reply.get("stream") != "authorization" or status != "authorized":
                raise StreamRefused(printable(str(reply.get("data")), 120))
            listen = {"action": "listen", "data": {"streams": ["trade_updates"]}}
            await ws.send_str(json.dumps(listen))
            reply = await self._control(ws)
            if "trade_updates" not in reply.get("data", {}).get("streams", []):
                raise ValueError(f"not listening: {printable(str(reply), 120)}")
        except BaseException:
            await ws.close()
            raise
        return ws

    async def _control(self, ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        msg = await ws.receive(timeout=self._stale_after_s)
        if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            raise aiohttp.ClientConnectionError(f"stream closed during set-up ({msg.type})")
        raw = json.loads(msg.data)
        if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
            raise ValueError(f"unexpected set-up frame {printable(str(raw), 120)}")
        return raw

    async def _serve(
        self, ws: aiohttp.ClientWebSocketResponse, on_event: EventListener, on_up: UpListener
    ) -> str:
        await self._reports.serving(self.status, on_up)  # after listening
        async for msg in ws:
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                self._frame(msg.data, on_event)
            elif msg.type is aiohttp.WSMsgType.ERROR:
                return f"error {ws.exception()!r}"
        return "connection closed"

    def _frame(self, data: str | bytes, on_event: EventListener) -> None:
        try:
            raw: Any = json.loads(data)
        except ValueError:
            self._reports.bad(f"not JSON: {printable(str(data), 80)}")
            return
        if not isinstance(raw, dict) or raw.get("stream") != "trade_updates":
            return  # authorization/listening repeats and the like
        try:
            update = parse_trade_update(raw.get("data"))
        except ParseError as exc:
            self._reports.bad(str(exc))
            return
        self.counts["events"] += 1
        try:
            on_event(update)
        except Exception:  # a bug in the broker must not end the stream
            log.exception("Alpaca trade updates: handling %r failed", update)
