"""The USD-M futures side of the Binance exchange double: /fapi REST (signed like
spot), the listenKey endpoints (API key header only) and the user data socket at
/private/ws?listenKey=K&events=A/B. Events reach a socket only while its key is alive
and only for the event types it named: like production since the 2026-04 URL split,
a socket that names no events receives nothing."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.doubles.binance_algo import AlgoBook
from tests.doubles.binance_futures_engine import FuturesEngine
from tests.doubles.binance_matching import ExchangeError

Signed = Callable[[web.Request], Awaitable[dict[str, str]]]


@dataclass
class PrivateConn:
    ws: web.WebSocketResponse
    listen_key: str
    events: frozenset[str]


def _filters() -> list[dict[str, Any]]:
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": "0.10",
            "maxPrice": "4529764",
            "tickSize": "0.10",
        },
        {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
        {"filterType": "MARKET_LOT_SIZE", "minQty": "0.001", "maxQty": "120", "stepSize": "0.001"},
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MIN_NOTIONAL", "notional": "5"},
        {
            "filterType": "PERCENT_PRICE",
            "multiplierUp": "1.0500",
            "multiplierDown": "0.9500",
            "multiplierDecimal": "4",
        },
    ]


class FuturesDouble:
    def __init__(
        self, signed: Signed, now_ms: Callable[[], int], on_change: Callable[[], None], api_key: str
    ) -> None:
        self.engine = FuturesEngine(["BTCUSDT", "ETHUSDT"], Decimal(10000))
        self.algo = AlgoBook(self.engine)  # conditional orders: binance_algo.py
        self._signed, self._now_ms, self._on_change = signed, now_ms, on_change
        self.api_key = api_key
        self.listen_key: str | None = None
        self.listen_key_posts = 0
        self.keepalives = 0
        self.conns: list[PrivateConn] = []
        self.connects = 0
        self.settings: list[tuple[str, dict[str, str]]] = []  # leverage / margin type calls
        # Fields left out of new-order and cancel replies (e.g. avgPrice, cumQuote: the
        # current POST /fapi/v1/order reply has neither), and raw rows added to openOrders.
        self.omit_reply_fields: frozenset[str] = frozenset()
        self.extra_open_orders: list[Any] = []
        self._next_key = 0

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/fapi/v1/exchangeInfo", self._exchange_info)
        r.add_post("/fapi/v1/order", self._place)
        r.add_get("/fapi/v1/order", self._query)
        r.add_delete("/fapi/v1/order", self._cancel)
        r.add_get("/fapi/v1/openOrders", self._open_orders)
        r.add_post("/fapi/v1/algoOrder", self._place_algo)
        r.add_get("/fapi/v1/algoOrder", self._query_algo)
        r.add_delete("/fapi/v1/algoOrder", self._cancel_algo)
        r.add_get("/fapi/v1/openAlgoOrders", self._open_algo_orders)
        r.add_get("/fapi/v1/allAlgoOrders", self._all_algo_orders)
        r.add_get("/fapi/v1/userTrades", self._user_trades)
        r.add_get("/fapi/v2/account", self._account)
        r.add_get("/fapi/v3/positionRisk", self._position_risk)
        r.add_get("/fapi/v1/income", self._income)
        r.add_post("/fapi/v1/leverage", self._leverage)
        r.add_post("/fapi/v1/marginType", self._margin_type)
        r.add_get("/fapi/v1/positionSide/dual", self._position_mode)
        r.add_post("/fapi/v1/listenKey", self._new_key)
        r.add_put("/fapi/v1/listenKey", self._keepalive)
        r.add_delete("/fapi/v1/listenKey", self._close_key)
        r.add_get("/private/ws", self._private_ws)

    # --- REST -----------------------------------------------------------------------
    async def _exchange_info(self, request: web.Request) -> web.Response:
        symbols = [
            {
                "symbol": s,
                "pair": s,
                "contractType": "PERPETUAL",
                "status": "TRADING",
                "baseAsset": s.removesuffix("USDT"),
                "quoteAsset": "USDT",
                "marginAsset": "USDT",
                "filters": _filters(),
                "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET"],
            }
            for s in self.engine.symbols
        ]
        body = {"timezone": "UTC", "serverTime": self._now_ms(), "symbols": symbols}
        return web.json_response(body)

    async def _place(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        order, events = self.engine.place(params, self._now_ms())
        await self.push(events)
        return web.json_response(self._reply(order.json()))

    def _reply(self, body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k not in self.omit_reply_fields}

    async def _query(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        order = self.engine.find(p["symbol"], p.get("orderId"), p.get("origClientOrderId"))
        return web.json_response(order.json())

    async def _cancel(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        order = self.engine.find(p["symbol"], p.get("orderId"), p.get("origClientOrderId"))
        await self.push(self.engine.cancel(order, self._now_ms()))
        return web.json_response(self._reply(order.json()))

    async def _open_orders(self, request: web.Request) -> web.Response:
        await self._signed(request)
        rows = [o.json() for o in self.engine.open_orders()] + self.extra_open_orders
        return web.json_response(rows)

    async def _place_algo(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        order, events = self.algo.place(params, self._now_ms())
        await self.push(events)
        return web.json_response(order.json())

    async def _query_algo(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        order = self.algo.find(p["symbol"], p.get("algoId"), p.get("clientAlgoId"))
        return web.json_response(order.json())

    async def _cancel_algo(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        order = self.algo.find(p["symbol"], p.get("algoId"), p.get("clientAlgoId"))
        await self.push(self.algo.cancel(order, self._now_ms()))
        body = {"algoId": order.algo_id, "clientAlgoId": order.cid, "code": "200", "msg": "success"}
        return web.json_response(body)

    async def _open_algo_orders(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        return web.json_response([o.json() for o in self.algo.open_orders(p.get("symbol"))])

    async def _all_algo_orders(self, request: web.Request) -> web.Response:
        """GET /fapi/v1/allAlgoOrders: one symbol's algo orders created since startTime."""
        p = await self._signed(request)
        since, limit = int(p.get("startTime", "0")), int(p.get("limit", "100"))
        rows = [
            o.json() for o in self.algo.orders.values()
            if o.symbol == p["symbol"] and o.create_ms >= since
        ]  # fmt: skip
        return web.json_response(rows[:limit])

    async def _user_trades(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        return web.json_response(self.engine.user_trades(p["symbol"], p.get("orderId")))

    async def _account(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return web.json_response(self.engine.account(self._now_ms()))

    async def _position_risk(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return web.json_response(self.engine.position_rows())

    async def _income(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        return web.json_response(self.engine.income_history(p))

    async def _leverage(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        self.settings.append(("leverage", p))
        leverage = int(p["leverage"])
        if not 1 <= leverage <= 125:
            raise ExchangeError(-4028, f"Leverage {leverage} is not valid")
        self.engine.leverage[p["symbol"]] = leverage
        return web.json_response(
            {"leverage": leverage, "maxNotionalValue": "1000000", "symbol": p["symbol"]}
        )

    async def _margin_type(self, request: web.Request) -> web.Response:
        p = await self._signed(request)
        self.settings.append(("marginType", p))
        symbol, wanted = p["symbol"], p["marginType"]
        if self.engine.margin_type[symbol] == wanted:
            raise ExchangeError(-4046, "No need to change margin type.")
        if self.engine.position(symbol)[0] != 0:
            raise ExchangeError(-4048, "Margin type cannot be changed if there exists position.")
        self.engine.margin_type[symbol] = wanted
        return web.json_response({"code": 200, "msg": "success"})

    async def _position_mode(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return web.json_response({"dualSidePosition": self.engine.dual_side})

    # --- listenKey and the private socket --------------------------------------------
    def _check_key_header(self, request: web.Request) -> None:
        if request.headers.get("X-MBX-APIKEY") != self.api_key:
            raise ExchangeError(-2015, "Invalid API-key, IP, or permissions for action.", 401)

    async def _new_key(self, request: web.Request) -> web.Response:
        self._check_key_header(request)
        self.listen_key_posts += 1
        if self.listen_key is None:  # an active key is returned again (and extended)
            self._next_key += 1
            self.listen_key = f"lk{self._next_key:04d}" + "x" * 54
        return web.json_response({"listenKey": self.listen_key})

    async def _keepalive(self, request: web.Request) -> web.Response:
        self._check_key_header(request)
        key = (await request.post()).get("listenKey")
        if key is None or key != self.listen_key:
            raise ExchangeError(-1125, "This listenKey does not exist.")
        self.keepalives += 1
        return web.json_response({"listenKey": key})

    async def _close_key(self, request: web.Request) -> web.Response:
        self._check_key_header(request)
        self.listen_key = None
        return web.json_response({})

    async def _private_ws(self, request: web.Request) -> web.StreamResponse:
        key = request.query.get("listenKey", "")
        if key != self.listen_key:
            return web.json_response({"code": -1125, "msg": "Invalid listenKey."}, status=400)
        ws = web.WebSocketResponse(timeout=1.0)
        await ws.prepare(request)
        events = frozenset(filter(None, request.query.get("events", "").split("/")))
        conn = PrivateConn(ws, key, events)
        self.conns.append(conn)
        self.connects += 1
        self._on_change()
        try:
            async for _ in ws:
                pass
        finally:
            with suppress(ValueError):
                self.conns.remove(conn)
        return ws

    async def push(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            for conn in list(self.conns):
                if conn.listen_key == self.listen_key and event["e"] in conn.events:
                    with suppress(ConnectionError, RuntimeError):
                        await conn.ws.send_str(json.dumps(event))

    async def expire_listen_key(self) -> None:
        """The key lapses: its sockets get listenKeyExpired, then nothing more."""
        key, self.listen_key = self.listen_key, None
        event = {"e": "listenKeyExpired", "E": self._now_ms(), "listenKey": key}
        for conn in [c for c in self.conns if c.listen_key == key]:
            with suppress(ConnectionError, RuntimeError):
                await conn.ws.send_str(json.dumps(event))

    async def drop(self, code: int = 1001) -> None:
        conns, self.conns = self.conns, []
        await asyncio.gather(*(c.ws.close(code=code, message=b"going away") for c in conns))

    # --- helpers for tests ------------------------------------------------------------
    def set_mark(self, symbol: str, price: str) -> None:
        self.engine.marks[symbol] = Decimal(price)

    async def move_mark(self, symbol: str, price: str) -> None:
        """The mark moves: conditional orders it crosses fire (pushed as they would be)."""
        self.set_mark(symbol, price)
        await self.push(self.algo.on_mark(symbol, self._now_ms()))

    async def fill(self, cid: str, qty: str, price: str) -> None:
        await self.push(self.engine.fill(cid, Decimal(qty), Decimal(price), self._now_ms()))

    async def funding(self, symbol: str, rate: str) -> None:
        await self.push([self.engine.funding(symbol, Decimal(rate), self._now_ms())])

    async def place_foreign(
        self, cid: str, kind: str, side: str, qty: str, *, price: str = "0", stop: str = "0"
    ) -> None:
        """An order of `kind` placed outside the trader on BTCUSDT; its NEW is pushed."""
        events = self.engine.place_foreign(
            cid, kind, side, Decimal(qty), self._now_ms(), price=Decimal(price), stop=Decimal(stop)
        )
        await self.push(events)

    async def liquidate(self, symbol: str, price: str, *, adl: bool = False) -> None:
        await self.push(self.engine.liquidate(symbol, Decimal(price), self._now_ms(), adl=adl))

    async def push_hedge_account_update(self) -> None:
        await self.push([self.engine.hedge_account_update(self._now_ms())])

    def settle_funding_silently(self, symbol: str, rate: str) -> None:
        """Funding settled (wallet and income history) while no ACCOUNT_UPDATE reaches
        the user stream, as when it is down."""
        self.engine.funding(symbol, Decimal(rate), self._now_ms())
