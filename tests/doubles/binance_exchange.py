"""A local Binance exchange double: aiohttp on 127.0.0.1 (random port) speaking the
real wire protocol to python-binance.

REST: ping, time, exchangeInfo, klines, order (POST/GET/DELETE), openOrders, account,
myTrades, /sapi/v1/account/apiRestrictions, and the USD-M futures endpoints and user
data stream (binance_futures.py), with HMAC-SHA256 signatures checked over the raw
query + body, X-MBX-APIKEY and the timestamp/recvWindow rule. Streams at /ws/<stream>
and /stream?streams=a/b. The spot WebSocket API at /ws-api/v3 answers
userDataStream.subscribe.signature and pushes {"subscriptionId": N, "event": {...}}.
Faults are switched on through `faults` and the stream helpers; every request is
recorded so tests can assert what reached "Binance".
"""

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSMsgType, web

from tests.doubles.binance_futures import FuturesDouble
from tests.doubles.binance_matching import ExchangeError, SpotEngine, SymbolSpec
from tests.doubles.binance_spot_guards import SpotGuardBook
from tests.doubles.binance_streams import StreamHub

SPOT_RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 300000},
]
API_KEY = "test-key"
API_SECRET = "test-secret"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class HttpFault:
    """Answer the next matching request with this status (one shot). `after=True`
    processes the request first (e.g. the order is placed, then a 5xx comes back)."""

    path: str
    method: str = "POST"
    status: int = 503
    code: int = -1000
    msg: str = "An unknown error occurred while processing the request."
    retry_after: float | None = None
    after: bool = False
    skip: int = 0  # let this many matching requests through first


@dataclass
class Faults:
    http: list[HttpFault] = field(default_factory=list)
    order_hang_s: float = 0.0  # POST /order answers only after this long
    order_hang_places: bool = True  # ...having placed the order first (else never)
    clock_skew_ms: int = 0  # the server clock runs this far ahead of ours
    duplicate_user_events: bool = False
    delays: dict[str, float] = field(default_factory=dict)  # path → seconds before answering


@dataclass
class WsApiConn:
    ws: web.WebSocketResponse
    subscriptions: set[int] = field(default_factory=set)
    next_id: int = 0
    silent: bool = False  # the subscription died without a word: no events reach it


def key_restrictions(withdrawals: bool = False, futures: bool = False) -> dict[str, Any]:
    """GET /sapi/v1/account/apiRestrictions for the double's API key."""
    return {
        "ipRestrict": True,
        "createTime": 1767225600000,
        "enableReading": True,
        "enableWithdrawals": withdrawals,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": futures,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enableSpotAndMarginTrading": True,
        "enablePortfolioMarginTrading": False,
    }


def _error(
    code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status, headers=headers)


def _strip_signature(text: str) -> tuple[str, str]:
    parts = text.split("&") if text else []
    signature = next((p[10:] for p in parts if p.startswith("signature=")), "")
    return "&".join(p for p in parts if not p.startswith("signature=")), signature


class BinanceExchangeDouble:
    def __init__(
        self, specs: dict[str, SymbolSpec] | None = None, balances: dict[str, Decimal] | None = None
    ) -> None:
        specs = specs or {
            "BTCUSDT": SymbolSpec("BTC", "USDT"),
            "ETHUSDT": SymbolSpec("ETH", "USDT"),
        }
        self.engine = SpotEngine(specs, balances or {"USDT": Decimal(10000), "BTC": Decimal(1)})
        self.spot_guards = SpotGuardBook(self.engine)  # stops and OCO lists
        self.faults = Faults()
        self.changed = asyncio.Event()  # set on every new connection or subscription
        self.streams = StreamHub(self.now_ms, self.changed.set)
        self.requests: list[tuple[str, str]] = []
        self.request_times: list[float] = []  # arrival of each of `requests`, epoch seconds
        self.order_requests: list[dict[str, str]] = []
        self.user_events: list[dict[str, Any]] = []
        self.ws_api_conns: list[WsApiConn] = []
        self.ws_api_connects = 0
        self.restrictions = key_restrictions()
        # Rate limits as exchangeInfo states them and the usage headers of each reply:
        # +1 weight per request, +1 order count per order placed. Tests set them.
        self.rate_limits = list(SPOT_RATE_LIMITS)
        self.weight_header = "X-MBX-USED-WEIGHT-1M"
        self.used_weight = 0
        self.order_count_10s = 0
        self.order_count_1d = 0
        self.futures = FuturesDouble(self._signed, self.now_ms, self.changed.set, API_KEY)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ----------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/api/v3/ping", self._ping)
        app.router.add_get("/api/v3/time", self._time)
        app.router.add_get("/api/v3/exchangeInfo", self._exchange_info)
        app.router.add_get("/api/v3/klines", self._klines)
        app.router.add_post("/api/v3/order", self._place)
        app.router.add_get("/api/v3/order", self._query)
        app.router.add_delete("/api/v3/order", self._cancel)
        app.router.add_get("/api/v3/openOrders", self._open_orders)
        app.router.add_get("/api/v3/account", self._account)
        app.router.add_get("/api/v3/myTrades", self._my_trades)
        app.router.add_post("/api/v3/orderList/oco", self._place_oco)
        app.router.add_delete("/api/v3/orderList", self._cancel_list)
        app.router.add_get("/api/v3/allOrders", self._all_orders)
        app.router.add_get("/sapi/v1/account/apiRestrictions", self._api_restrictions)
        self.futures.add_routes(app)
        app.router.add_get("/ws/{stream}", self._raw_stream)
        app.router.add_get("/stream", self._combined_stream)
        app.router.add_get("/market/stream", self._combined_stream)  # USD-M market data
        app.router.add_get("/fapi/v1/klines", self._klines)
        app.router.add_get("/ws-api/v3", self._ws_api)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._release.set()  # let hanging requests finish
        await self.streams.drop(1001)
        await self.futures.drop(1001)
        for conn in list(self.ws_api_conns):
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.faults.clock_skew_ms

    # --- middleware: request log, injected HTTP faults, exchange errors -------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await self._answer(request, handler)
        if not isinstance(response, web.WebSocketResponse):
            self._usage_headers(request, response)
        return response

    def _usage_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """What Binance says of its rate limits on every REST reply (tests set the
        counters near a limit to see the client slow down)."""
        self.used_weight += 1
        response.headers[self.weight_header] = str(self.used_weight)
        if request.method == "POST" and request.path == "/api/v3/order":
            self.order_count_10s += 1
            self.order_count_1d += 1
            response.headers["X-MBX-ORDER-COUNT-10S"] = str(self.order_count_10s)
            response.headers["X-MBX-ORDER-COUNT-1D"] = str(self.order_count_1d)

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        self.request_times.append(time.time())
        if request.path in self.faults.delays:
            await asyncio.sleep(self.faults.delays[request.path])
        fault = next(
            (f for f in self.faults.http if f.path == request.path and f.method == request.method),
            None,
        )
        if fault is not None and fault.skip:
            fault.skip -= 1
            fault = None
        if fault is not None:
            self.faults.http.remove(fault)
            if fault.after:
                with suppress(ExchangeError):
                    await handler(request)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
            return _error(fault.code, fault.msg, fault.status, headers)
        try:
            return await handler(request)
        except ExchangeError as exc:
            return _error(exc.code, exc.msg, exc.status)

    async def _signed(self, request: web.Request) -> dict[str, str]:
        if request.headers.get("X-MBX-APIKEY") != API_KEY:
            raise ExchangeError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        query, body = request.rel_url.raw_query_string, await request.text()
        query_payload, query_sig = _strip_signature(query)
        body_payload, body_sig = _strip_signature(body)
        expected = hmac.new(
            API_SECRET.encode(), (query_payload + body_payload).encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, query_sig or body_sig):
            raise ExchangeError(-1022, "Signature for this request is not valid.")
        params = dict(parse_qsl(query)) | dict(parse_qsl(body))
        self._check_timestamp(int(params.get("timestamp", 0)), int(params.get("recvWindow", 5000)))
        return params

    def _check_timestamp(self, ts: int, recv_window: int) -> None:
        now = self.now_ms()
        if ts >= now + 1000:
            raise ExchangeError(
                -1021, "Timestamp for this request was 1000ms ahead of the server's time."
            )
        if now - ts > recv_window:
            raise ExchangeError(-1021, "Timestamp for this request is outside of the recvWindow.")

    # --- public REST ----------------------------------------------------------------
    async def _ping(self, request: web.Request) -> web.Response:
        return web.json_response({})

    async def _time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": self.now_ms()})

    async def _exchange_info(self, request: web.Request) -> web.Response:
        symbols = [
            {
                "symbol": name,
                "status": spec.status,
                "baseAsset": spec.base,
                "baseAssetPrecision": 8,
                "quoteAsset": spec.quote,
                "quotePrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT"],
                "ocoAllowed": spec.oco_allowed,
                "isSpotTradingAllowed": True,
                "filters": spec.filters(),
                "permissions": [],
                "permissionSets": [["SPOT"]],
            }
            for name, spec in self.engine.specs.items()
        ]
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": self.now_ms(),
                "rateLimits": self.rate_limits,
                "exchangeFilters": [],
                "symbols": symbols,
            }
        )

    async def _klines(self, request: web.Request) -> web.Response:
        q = request.query
        rows = self.streams.kline_rows(
            q["symbol"],
            q["interval"],
            int(q.get("startTime", 0)),
            int(q.get("endTime", 2**62)),
            min(int(q.get("limit", 500)), 1000),
        )
        return web.json_response(rows)

    # --- signed REST ----------------------------------------------------------------
    async def _place(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        self.order_requests.append(params)
        hang = self.faults.order_hang_s
        if hang and not self.faults.order_hang_places:
            await self._hang(hang)
            return _error(-1007, "Timeout waiting for response from backend server.", 503)
        if params.get("type") == "STOP_LOSS_LIMIT":
            order, events = self.spot_guards.place_stop(params, self.now_ms())
        else:
            order, events = self.engine.place(params, self.now_ms())
        await self.push_user_events(events)
        if hang:
            await self._hang(hang)
        body = order.json()
        body["transactTime"] = order.time_ms
        kind = params.get("newOrderRespType", "FULL")
        if kind == "ACK":
            body = {
                k: body[k]
                for k in ("symbol", "orderId", "orderListId", "clientOrderId", "transactTime")
            }
        elif kind == "FULL":
            body["fills"] = [
                {k: v for k, v in f.items() if k not in ("maker", "time")} for f in order.fills
            ]
        return web.json_response(body)

    async def _hang(self, seconds: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), seconds)

    def _find(self, params: dict[str, str]) -> Any:
        return self.engine.find(
            params.get("symbol", ""), params.get("orderId"), params.get("origClientOrderId")
        )

    async def _query(self, request: web.Request) -> web.Response:
        return web.json_response(self._find(await self._signed(request)).json())

    async def _cancel(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        order = self._find(params)
        cancel_id = params.get("newClientOrderId") or f"cancel{order.order_id}"
        await self.push_user_events(self.engine.cancel(order, cancel_id, self.now_ms()))
        return web.json_response(order.json(cancel_id=cancel_id))

    async def _place_oco(self, request: web.Request) -> web.Response:
        reply, events = self.spot_guards.place_oco(await self._signed(request), self.now_ms())
        await self.push_user_events(events)
        return web.json_response(reply)

    async def _cancel_list(self, request: web.Request) -> web.Response:
        reply, events = self.spot_guards.cancel_list(await self._signed(request), self.now_ms())
        await self.push_user_events(events)
        return web.json_response(reply)

    async def _all_orders(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        since = int(params.get("startTime", "0"))
        return web.json_response(self.spot_guards.all_orders(params["symbol"], since))

    async def _open_orders(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        orders = self.engine.open_orders(params.get("symbol"))
        return web.json_response([o.json() for o in orders])

    async def _account(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return web.json_response(self.engine.account(self.now_ms()))

    async def _my_trades(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        return web.json_response(self.engine.my_trades(params["symbol"], params.get("orderId")))

    async def _api_restrictions(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return web.json_response(self.restrictions)

    # --- market streams ------------------------------------------------------------
    async def _raw_stream(self, request: web.Request) -> web.WebSocketResponse:
        return await self.streams.serve(request, [request.match_info["stream"]], False)

    async def _combined_stream(self, request: web.Request) -> web.WebSocketResponse:
        return await self.streams.serve(request, request.query["streams"].split("/"), True)

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Wait (at most 5 s) until `predicate` holds; re-checked on every connection."""
        async with asyncio.timeout(5.0):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    async def wait_stream_connects(self, count: int) -> None:
        await self.wait_until(lambda: self.streams.connects >= count)

    # --- spot WebSocket API (user data) ----------------------------------------------
    async def _ws_api(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=1.0)
        await ws.prepare(request)
        conn = WsApiConn(ws)
        self.ws_api_conns.append(conn)
        self.ws_api_connects += 1
        self.changed.set()
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await ws.send_str(json.dumps(self._ws_api_answer(conn, json.loads(msg.data))))
        finally:
            with suppress(ValueError):
                self.ws_api_conns.remove(conn)
        return ws

    def _ws_api_answer(self, conn: WsApiConn, request: dict[str, Any]) -> dict[str, Any]:
        rid, params = request.get("id"), dict(request.get("params") or {})
        try:
            result = self._ws_api_call(conn, str(request.get("method")), params)
        except ExchangeError as exc:
            return {
                "id": rid,
                "status": exc.status,
                "error": {"code": exc.code, "msg": exc.msg},
                "rateLimits": [],
            }
        return {"id": rid, "status": 200, "result": result, "rateLimits": []}

    def _ws_api_call(self, conn: WsApiConn, method: str, params: dict[str, Any]) -> Any:
        if method == "userDataStream.subscribe.signature":
            signature = str(params.pop("signature", ""))
            if params.get("apiKey") != API_KEY:
                raise ExchangeError(-2015, "Invalid API-key, IP, or permissions for action.")
            payload = urlencode(sorted(params.items()))
            expected = hmac.new(API_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, signature):
                raise ExchangeError(-1022, "Signature for this request is not valid.")
            self._check_timestamp(int(params.get("timestamp", 0)), 5000)
            conn.subscriptions.add(conn.next_id)
            self.changed.set()
            conn.next_id += 1
            return {"subscriptionId": conn.next_id - 1}
        if method == "userDataStream.unsubscribe":
            if params.get("subscriptionId") not in conn.subscriptions:
                raise ExchangeError(-1102, "Subscription not found on this connection.")
            conn.subscriptions.discard(params["subscriptionId"])
            return {}
        raise ExchangeError(-1020, "This operation is not supported.")

    async def push_user_events(self, events: list[dict[str, Any]]) -> None:
        """Deliver user-data events to every subscription (twice with the fault on)."""
        for event in events:
            self.user_events.append(event)
            for conn in [c for c in self.ws_api_conns if not c.silent]:
                for sid in sorted(conn.subscriptions):
                    body = json.dumps({"subscriptionId": sid, "event": event})
                    for _ in range(2 if self.faults.duplicate_user_events else 1):
                        with suppress(ConnectionError, RuntimeError):
                            await conn.ws.send_str(body)

    async def ws_api_server_shutdown(self) -> None:
        """The WebSocket API's shutdown notice: {"event": {...}} with no subscriptionId."""
        body = json.dumps({"event": {"e": "serverShutdown", "E": self.now_ms()}})
        for conn in list(self.ws_api_conns):
            with suppress(ConnectionError, RuntimeError):
                await conn.ws.send_str(body)

    async def drop_ws_api(self, code: int = 1001) -> None:
        conns, self.ws_api_conns = self.ws_api_conns, []
        await asyncio.gather(*(c.ws.close(code=code, message=b"going away") for c in conns))

    def silence_user_stream(self) -> None:
        """Current subscriptions stay open but get no more events; new ones are fine."""
        for conn in self.ws_api_conns:
            conn.silent = True

    async def wait_subscriptions(self, count: int = 1) -> None:
        await self.wait_until(lambda: sum(len(c.subscriptions) for c in self.ws_api_conns) >= count)

    # --- trading helpers for tests -------------------------------------------------
    def set_price(self, symbol: str, price: str) -> None:
        self.engine.prices[symbol] = Decimal(price)

    async def move_price(self, symbol: str, price: str) -> None:
        """The price moves: stops and take-profits it reaches fill (events pushed)."""
        self.set_price(symbol, price)
        await self.push_user_events(self.spot_guards.on_price(symbol, self.now_ms()))

    async def place_foreign(
        self,
        cid: str,
        kind: str,
        side: str,
        qty: str,
        *,
        price: str = "0",
        stop: str = "0",
        list_id: int = -1,
    ) -> None:
        """A spot order placed outside the trader on BTCUSDT; its executionReport NEW is
        pushed (an OCO leg also gets the list's listStatus, as Binance sends it)."""
        events = self.engine.place_foreign(
            cid, kind, side, Decimal(qty), self.now_ms(),
            price=Decimal(price), stop=Decimal(stop), list_id=list_id,
        )  # fmt: skip
        if list_id != -1:
            events.append(self._list_status(list_id))
        await self.push_user_events(events)

    def _list_status(self, list_id: int) -> dict[str, Any]:
        legs = [o for o in self.engine.orders.values() if o.list_id == list_id]
        return {
            "e": "listStatus", "E": self.now_ms(), "s": legs[0].symbol, "g": list_id,
            "c": "OCO", "l": "EXEC_STARTED", "L": "EXECUTING", "r": "NONE",
            "C": f"list{list_id}", "T": self.now_ms(),
            "O": [{"s": o.symbol, "i": o.order_id, "c": o.cid} for o in legs],
        }  # fmt: skip

    async def fill(self, cid: str, qty: str, price: str) -> None:
        await self.push_user_events(
            self.engine.fill(cid, Decimal(qty), Decimal(price), self.now_ms())
        )
