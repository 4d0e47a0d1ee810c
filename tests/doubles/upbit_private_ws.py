"""Upbit's private WebSocket (`/websocket/v1/private`, `myOrder` and `myAsset`) on the
exchange double: the handshake's JWT verified like a REST call's (a bad one refused with
Upbit's error body), and every change of the double's book told as myOrder frames: a
new order (`wait`), each trade (`trade`, with the trade's price and volume), then `done`
or `cancel`; every change of its balances (a trade, or a test's deposit or withdrawal)
as a myAsset frame listing the assets that changed, to connections that subscribed to
it. A myAsset subscription with market codes gets Upbit's WRONG_FORMAT error frame.
The book is watched every WATCH_S, so a test's `account.trade()` shows on the
stream as Upbit's own executions would. Events while nobody listens are lost, as on
Upbit, unless `replay_missed` (then they come late, after the next connect).
Faults: `drop()` closes every connection; `accepting = False` refuses handshakes (503);
`silent` sends nothing, not even the answer to PING; `duplicate` sends every frame twice;
`malformed()` sends frames that read as nothing Upbit sends."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from tests.doubles.upbit_book import FEE, Account, BookOrder, Trade

WATCH_S = 0.02
NEGATIVE = {"type": "myOrder", "code": "KRW-BTC", "uuid": "u", "ask_bid": "BID",
            "order_type": "limit", "state": "trade", "executed_volume": -1,
            "timestamp": 1}  # fmt: skip
FAR = {**NEGATIVE, "state": "wait", "executed_volume": 0, "timestamp": 1e300}
NO_ASSETS = {"type": "myAsset", "assets": [], "timestamp": 1}
JUNK = ["not json at all", '{"type": "myOrder", "code": "KRW-BTC"}', "[1, 2]", json.dumps(NEGATIVE),
        json.dumps(FAR), json.dumps(NO_ASSETS)]  # fmt: skip
Verify = Callable[[web.Request], web.Response | None]


def _ms(order: BookOrder, trade: Trade | None = None) -> int:
    return int(((trade.at if trade else order.created_at).timestamp()) * 1000)


def frame(order: BookOrder, state: str, trade: Trade | None, executed: Decimal) -> dict[str, Any]:
    """One myOrder frame (Upbit's numbers are JSON numbers)."""
    value = sum((t.price * t.volume for t in order.trades if t.volume), Decimal(0))
    left = None if order.volume is None else order.volume - executed
    body: dict[str, Any] = {
        "type": "myOrder", "code": order.market, "uuid": order.uuid,
        "ask_bid": order.side.upper(), "order_type": order.ord_type, "state": state,
        "trade_uuid": trade.trade_id if trade else None,
        "price": float(trade.price if trade else order.price or 0),
        "avg_price": float(value / order.executed) if order.executed else 0,
        "volume": float(trade.volume) if trade else (None if order.volume is None
                                                      else float(order.volume)),
        "remaining_volume": None if left is None else float(left),
        "executed_volume": float(executed), "trades_count": len(order.trades),
        "paid_fee": float(value * FEE), "identifier": order.identifier,
        "trade_fee": float(trade.price * trade.volume * FEE) if trade else None,
        "trade_timestamp": _ms(order, trade) if trade else None,
        "order_timestamp": _ms(order), "timestamp": _ms(order, trade),
        "stream_type": "REALTIME"}  # fmt: skip
    return body


@dataclass
class PrivateStreamDouble:
    account: Account
    verify: Verify
    accepting: bool = True
    silent: bool = False
    duplicate: bool = False
    replay_missed: bool = False
    connects: int = 0
    sent: int = 0
    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    asset_sockets: set[web.WebSocketResponse] = field(default_factory=set)
    subscriptions: list[list[dict[str, Any]]] = field(default_factory=list)
    _balances: dict[str, Decimal] | None = None  # as last told
    _seen: dict[str, tuple[str, int]] = field(default_factory=dict)
    _missed: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.accepting:
            return web.Response(status=503, text="down")
        refused = self.verify(request)
        if refused is not None:
            return refused
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connects += 1
        first = await ws.receive()  # the subscription: [{"ticket"}, {"type": ...}, ...]
        types = await self._subscribe(ws, first)
        if "myOrder" not in types:
            await ws.close()
            return ws
        self.sockets.add(ws)
        if "myAsset" in types:
            self.asset_sockets.add(ws)
        if self.replay_missed:
            missed, self._missed = self._missed, []
            for text in missed:
                await self._send(ws, text)
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT and msg.data == "PING" and not self.silent:
                    await ws.send_str('{"status":"UP"}')
        finally:
            self.sockets.discard(ws)
            self.asset_sockets.discard(ws)
        return ws

    async def _subscribe(self, ws: web.WebSocketResponse, first: Any) -> set[str]:
        """The data types subscribed; none (after Upbit's error frame) if malformed."""
        try:
            request = json.loads(first.data)
            self.subscriptions.append(request)
            kinds = {str(part["type"]): part for part in request[1:] if "type" in part}
        except (TypeError, ValueError, KeyError, IndexError):
            kinds = {}
        if not kinds or "codes" in kinds.get("myAsset", {}):
            error = {"name": "WRONG_FORMAT", "message": "request frame not understood"}
            await ws.send_bytes(json.dumps({"error": error}).encode())
            return set()
        return set(kinds)

    async def drop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()

    async def malformed(self) -> None:
        for ws in list(self.sockets):
            for text in JUNK:
                await ws.send_str(text)

    async def watch(self, app: web.Application) -> AsyncIterator[None]:
        """cleanup_ctx: the book watched while the app runs."""
        task = asyncio.create_task(self._watch_forever())
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def _watch_forever(self) -> None:
        while True:
            await asyncio.sleep(WATCH_S)
            for text in self._changes():
                if not self.sockets and self.replay_missed:
                    self._missed.append(text)
                for ws in list(self.sockets):
                    await self._send(ws, text)
            assets = self._asset_frame()
            for ws in list(self.asset_sockets) if assets else []:
                await self._send(ws, assets)

    def _asset_frame(self) -> str:
        """A myAsset frame of the balances changed since the last look ("" if none)."""
        now, before = dict(self.account.balances), self._balances
        self._balances = now
        if before is None:
            return ""
        changed = sorted(a for a in now.keys() | before.keys() if now.get(a) != before.get(a))
        if not changed:
            return ""
        ms = int(datetime.now(UTC).timestamp() * 1000)
        rows = [{"currency": a, "balance": float(now.get(a, Decimal(0))), "locked": 0.0}
                for a in changed]  # fmt: skip
        return json.dumps({"type": "myAsset", "asset_uuid": "a", "assets": rows,
                           "asset_timestamp": ms, "timestamp": ms,
                           "stream_type": "REALTIME"})  # fmt: skip

    async def _send(self, ws: web.WebSocketResponse, text: str) -> None:
        if self.silent or ws.closed:
            return
        for _ in range(2 if self.duplicate else 1):
            await ws.send_bytes(text.encode())  # Upbit sends its frames as binary
            self.sent += 1

    def _changes(self) -> list[str]:
        frames: list[dict[str, Any]] = []
        for order in list(self.account.orders.values()):
            state, told = self._seen.get(order.uuid, ("", 0))
            if not state:
                frames.append(frame(order, "wait", None, Decimal(0)))
            executed = sum((t.volume for t in order.trades[:told]), Decimal(0))
            for trade in order.trades[told:]:
                executed += trade.volume
                frames.append(frame(order, "trade", trade, executed))
            if order.state != "wait" and state != order.state:
                frames.append(frame(order, order.state, None, executed))
            self._seen[order.uuid] = (order.state if order.state != "wait" else "wait",
                                      len(order.trades))  # fmt: skip
        return [json.dumps(f) for f in frames]
