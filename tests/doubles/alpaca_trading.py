"""Alpaca's trading API and its `trade_updates` stream on 127.0.0.1 (the account and its
matching: alpaca_book.py). What it keeps of the real API:
- the APCA-API-KEY-ID / APCA-API-SECRET-KEY headers on every REST call (401
  `{"code": 40110000, "message": "request is not authorized"}` otherwise), the key pair
  in the stream's `authenticate` message;
- the routes alpaca-py's TradingClient calls: GET /v2/account, GET /v2/assets/{symbol},
  POST /v2/orders, GET /v2/orders (status, nested), GET /v2/orders:by_client_order_id,
  GET/DELETE /v2/orders/{id}, DELETE /v2/orders, GET/DELETE /v2/positions, GET /v2/clock,
  GET /v2/account/activities/FEE (the regulatory fees on sales: alpaca_fees.py);
- Alpaca's error body `{"code", "message"}`, and `X-Ratelimit-Limit/-Remaining/-Reset`
  on every reply;
- stream frames as binary JSON, as Alpaca sends them.
Faults on request, each for the next call of a route ("POST /v2/orders", ...):
"500" (a 500 before anything is done), "429" (remaining 0, reset in `reset_in_s`),
"slow" (the work is done, the reply comes after `slow_s`), "hang" (nothing is done and
no reply comes for `slow_s`), "garbage" (done, the reply is not JSON), "lost" (done, the
connection closed without a reply), "malformed" (done, JSON that is no order).
Stream faults: `drop_stream()`, `stream_faults` ("duplicate": every frame twice,
"garbage": a frame that is not JSON before each), `hold_events` + `release()` (late).
Fake keys only."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import WSMsgType, web

from tests.doubles.alpaca_book import Account, Refusal
from tests.doubles.upbit_quotation import serve

KEY_ID = "FAKE-alpaca-key-id-for-the-local-double"
SECRET = "FAKE-alpaca-secret-key-for-the-local-double"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


@dataclass
class AlpacaTradingDouble:
    account: Account = field(default_factory=Account)
    keys: dict[str, str] = field(default_factory=lambda: {KEY_ID: SECRET})
    market_open: bool = True
    faults: dict[str, list[str]] = field(default_factory=dict)
    slow_s: float = 2.0
    reset_in_s: float = 0.3
    remaining: int = 199
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    stream_faults: set[str] = field(default_factory=set)
    hold_events: bool = False
    held: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    refused_streams: int = 0

    def __post_init__(self) -> None:
        self.account.listeners.append(self._publish)

    def fault(self, route: str, *kinds: str) -> None:
        self.faults.setdefault(route, []).extend(kinds)

    def posted(self) -> list[dict[str, Any]]:
        return [body for method, path, body in self.requests if method == "POST"]

    # --- REST -------------------------------------------------------------------------
    def _headers(self, remaining: int) -> dict[str, str]:
        reset = int(time.time() + self.reset_in_s + 0.999)
        return {
            "X-Ratelimit-Limit": "200",
            "X-Ratelimit-Remaining": str(remaining),
            "X-Ratelimit-Reset": str(reset),
        }

    def _route(self, handler: Handler, name: str) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            key = request.headers.get("APCA-API-KEY-ID", "")
            if (
                self.keys.get(key) is None
                or request.headers.get("APCA-API-SECRET-KEY") != self.keys[key]
            ):
                return error(401, 40110000, "request is not authorized")
            pending = self.faults.get(name)
            kind = pending.pop(0) if pending else ""
            if kind == "500":
                return error(500, 50010000, "internal server error")
            if kind == "429":
                return web.json_response(
                    {"code": 42910000, "message": "rate limit exceeded"},
                    status=429,
                    headers=self._headers(0),
                )
            if kind == "hang":
                await asyncio.sleep(self.slow_s)
                return error(500, 50010000, "too late")
            body = await request.json() if request.can_read_body else None
            self.requests.append((request.method, request.path, body or dict(request.query)))
            try:
                reply = await handler(request)
            except Refusal as exc:
                refused = error(exc.status, exc.code, exc.message)
                refused.headers.update(self._headers(self.remaining))
                return refused
            if kind == "slow":
                await asyncio.sleep(self.slow_s)
            if kind == "garbage":
                return web.Response(text="<html>502 Bad Gateway</html>", status=200)
            if kind == "malformed":
                return web.json_response({"id": "not-a-uuid", "status": 7})
            if kind == "lost":
                assert request.transport is not None
                request.transport.close()
            reply.headers.update(self._headers(self.remaining))
            return reply

        return checked

    async def _place(self, request: web.Request) -> web.Response:
        order = self.account.place(await request.json())
        return web.json_response(order.wire())

    async def _by_client(self, request: web.Request) -> web.Response:
        order = self.account.by_client(request.query.get("client_order_id", ""))
        if order is None:
            raise Refusal(404, 40410000, "order not found")
        return web.json_response(order.wire())

    async def _orders(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "open")
        after = request.query.get("after")
        rows = [o for o in self.account.orders.values() if o.parent is None]
        if status == "open":
            rows = [o for o in rows if o.working or any(leg.working for leg in o.legs)]
        if after:  # Alpaca's `after` and `direction` are about the submission time
            rows = [o for o in rows if o.created_at > _text(after)]
        rows.sort(key=lambda o: o.created_at, reverse=request.query.get("direction") != "asc")
        limit = int(request.query.get("limit", "50"))
        return web.json_response([o.wire() for o in rows[:limit]])

    def _find(self, request: web.Request) -> Any:
        order = self.account.orders.get(request.match_info["id"])
        if order is None:
            raise Refusal(404, 40410000, "order not found")
        return order

    async def _order(self, request: web.Request) -> web.Response:
        return web.json_response(self._find(request).wire())

    async def _cancel(self, request: web.Request) -> web.Response:
        order = self._find(request)
        if not order.working:
            raise Refusal(422, 42210000, f'order is already in "{order.status}" state')
        self.account.cancel(order.parent or order)
        return web.Response(status=204)

    async def _cancel_all(self, request: web.Request) -> web.Response:
        done = []
        for order in list(self.account.orders.values()):
            if order.working and order.parent is None:
                self.account.cancel(order)
                done.append({"id": order.id, "status": 200})
        return web.json_response(done, status=207)

    async def _close_all(self, request: web.Request) -> web.Response:
        await self._cancel_all(request)
        closed = []
        for symbol, qty in list(self.account.positions.items()):
            side = "sell" if qty > 0 else "buy"
            order = self.account.place(
                {
                    "symbol": symbol,
                    "qty": str(abs(qty)),
                    "side": side,
                    "type": "market",
                    "time_in_force": "day",
                }
            )
            closed.append({"symbol": symbol, "status": 200, "body": order.wire()})
        return web.json_response(closed, status=207)

    async def _account(self, request: web.Request) -> web.Response:
        return web.json_response(self.account.account_wire())

    async def _asset(self, request: web.Request) -> web.Response:
        symbol = request.match_info["symbol"]
        if symbol not in self.account.prices:
            raise Refusal(404, 40410000, "asset not found")
        return web.json_response(self.account.asset_wire(symbol))

    async def _fee_activities(self, request: web.Request) -> web.Response:
        query = request.query
        size = min(int(query.get("page_size", "100")), 100)
        rows = self.account.fees.listing(query.get("after", ""), size, query.get("page_token", ""))
        return web.json_response(rows)

    async def _positions(self, request: web.Request) -> web.Response:
        return web.json_response(self.account.positions_wire())

    async def _clock(self, request: web.Request) -> web.Response:
        now = datetime.now(UTC)
        return web.json_response(
            {
                "timestamp": now.isoformat(),
                "is_open": self.market_open,
                "next_open": (now + timedelta(hours=12)).isoformat(),
                "next_close": (now + timedelta(hours=2)).isoformat(),
            }
        )

    # --- the trade_updates stream -----------------------------------------------------
    async def _stream(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        authed = False
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            raw = json.loads(msg.data)
            if raw.get("action") == "authenticate":
                data = raw.get("data", {})
                authed = self.keys.get(data.get("key_id")) == data.get("secret_key") is not None
                status = "authorized" if authed else "unauthorized"
                if not authed:
                    self.refused_streams += 1
                reply = {
                    "stream": "authorization",
                    "data": {"action": "authenticate", "status": status},
                }
                await ws.send_bytes(json.dumps(reply).encode())
                if not authed:
                    await ws.close()
            elif raw.get("action") == "listen" and authed:
                streams = raw["data"]["streams"]
                await ws.send_bytes(
                    json.dumps({"stream": "listening", "data": {"streams": streams}}).encode()
                )
                self.sockets.append(ws)
        if ws in self.sockets:
            self.sockets.remove(ws)
        return ws

    def _publish(self, frame: dict[str, Any]) -> None:
        if self.hold_events:
            self.held.append(frame)
            return
        for ws in list(self.sockets):
            asyncio.get_running_loop().create_task(self._send(ws, frame))

    async def _send(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        if ws.closed:
            return
        if "garbage" in self.stream_faults:
            await ws.send_bytes(b"{not json")
        copies = 2 if "duplicate" in self.stream_faults else 1
        for _ in range(copies):
            await ws.send_bytes(json.dumps(frame).encode())

    def release(self) -> None:
        """Send the held (late) events now."""
        self.hold_events = False
        frames, self.held = self.held, []
        for frame in frames:
            self._publish(frame)

    async def drop_stream(self) -> None:
        for ws in list(self.sockets):
            self.sockets.remove(ws)
            await ws.close()

    def app(self) -> web.Application:
        return self.add_routes(web.Application())

    def add_routes(self, app: web.Application, clock: bool = True) -> web.Application:
        """The trading API and /stream on `app` (e.g. beside a market data double; with
        `clock` False, GET /v2/clock is left to the other double)."""
        routes = [
            ("POST", "/v2/orders", self._place),
            ("GET", "/v2/orders", self._orders),
            ("GET", "/v2/orders:by_client_order_id", self._by_client),
            ("GET", "/v2/orders/{id}", self._order),
            ("DELETE", "/v2/orders/{id}", self._cancel),
            ("DELETE", "/v2/orders", self._cancel_all),
            ("GET", "/v2/account", self._account),
            ("GET", "/v2/assets/{symbol}", self._asset),
            ("GET", "/v2/positions", self._positions),
            ("DELETE", "/v2/positions", self._close_all),
            ("GET", "/v2/clock", self._clock),
            ("GET", "/v2/account/activities/FEE", self._fee_activities),
        ]
        for method, path, handler in routes:
            if path == "/v2/clock" and not clock:
                continue
            name = f"{method} {path.replace('{id}', '{id}')}"
            app.router.add_route(method, path, self._route(handler, name))
        app.router.add_get("/stream", self._stream)
        return app


def _text(moment: str) -> str:
    """Alpaca's `after` as the double's order times are written (UTC, Z)."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")


@asynccontextmanager
async def alpaca_trading(double: AlpacaTradingDouble) -> AsyncIterator[str]:
    """The double's base URL while it runs (the stream at ws://.../stream)."""
    async with serve(double.app()) as url:
        yield url
