"""Upbit's exchange API on 127.0.0.1: every request's JWT verified (signature with the
secret key, the access key, a nonce never seen before, the SHA-512 query hash of exactly
what was sent), orders kept by identifier (upbit_book.py), Upbit's error bodies, the
`Remaining-Req` header, and the faults on request, each for the next call of a route
("POST /v1/orders", "GET /v1/order", ...):
- "500": a 502 before anything is done;  "429": too_many_requests with `sec=0`;
- "slow": the reply waits `slow_s` (longer than the client's timeout) after the work;
- "garbage": the work is done, the reply is not JSON;
- "lost": the work is done, then the connection is closed without a reply;
- "hostile": a refusal whose message carries terminal escape sequences.
`requests` records (method, path, query or body) of every request that passed the checks."""

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlencode

import jwt
from aiohttp import web

from tests.doubles.upbit_book import KST, Account, BookOrder
from tests.doubles.upbit_private_ws import PrivateStreamDouble
from tests.doubles.upbit_quotation import UpbitQuotation, serve
from tests.doubles.upbit_stream import UpbitStream

ACCESS = "FAKE-upbit-access-key-for-the-local-double-only"
SECRET = "FAKE-upbit-secret-key-for-the-local-double-only"
ALGORITHMS = ["HS256", "HS512"]  # Upbit takes both
PARAMS = web.RequestKey("params", dict)
Handler = Callable[
    [web.Request], Awaitable[web.StreamResponse]
]  # the verified parameters, for the handlers


def error(status: int, name: str, message: str, remaining: str = "") -> web.Response:
    headers = {"Remaining-Req": remaining} if remaining else {}
    body = {"error": {"name": name, "message": message}}
    return web.json_response(body, status=status, headers=headers)


@dataclass
class UpbitExchangeDouble:
    account: Account = field(default_factory=Account)
    keys: dict[str, str] = field(default_factory=lambda: {ACCESS: SECRET})
    key_expiry: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(days=90))
    sees_withdrawals: bool = False  # the key has the "view withdrawals" permission
    faults: dict[str, list[str]] = field(default_factory=dict)
    slow_s: float = 2.0
    remaining_sec: int = 29
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    private: PrivateStreamDouble = field(init=False)

    def __post_init__(self) -> None:
        self.private = PrivateStreamDouble(self.account, lambda r: self._verified(r, []))

    def fault(self, route: str, *kinds: str) -> None:
        self.faults.setdefault(route, []).extend(kinds)

    # --- the checks every request passes -------------------------------------------
    def _verified(self, request: web.Request, params: list[tuple[str, str]]) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return error(401, "no_authorization_token", "Authorization token does not exist.")
        raw = header.removeprefix("Bearer ")
        try:
            claims = jwt.decode(raw, options={"verify_signature": False})
            secret = self.keys.get(str(claims.get("access_key")))
            if secret is None:
                return error(401, "invalid_access_key", "잘못된 엑세스 키입니다.")
            claims = jwt.decode(raw, secret, algorithms=ALGORITHMS)
        except jwt.InvalidTokenError:
            return error(401, "jwt_verification", "Failed to verify Jwt token.")
        nonce = str(claims.get("nonce", ""))
        if not nonce or nonce in self.nonces:
            return error(401, "nonce_used", "이미 요청한 nonce값이 다시 사용되었습니다.")
        self.nonces.add(nonce)
        expected = (
            hashlib.sha512(unquote(urlencode(params)).encode()).hexdigest() if params else None
        )
        if claims.get("query_hash") != expected or (
            expected and claims.get("query_hash_alg") != "SHA512"
        ):
            return error(401, "invalid_query_payload", "Failed to verify query.")
        return None

    async def _params(self, request: web.Request) -> list[tuple[str, str]]:
        if request.method == "POST":
            body = json.loads(await request.text() or "{}")
            return [(k, str(v)) for k, v in body.items()]
        return list(request.query.items())

    def _headers(self) -> dict[str, str]:
        return {"Remaining-Req": f"group=default; min=1799; sec={self.remaining_sec}"}

    # --- one request -----------------------------------------------------------------
    def _guarded(self, handler: Handler) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            return await self._handle(request, handler)

        return checked

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        params = await self._params(request)
        refused = self._verified(request, params)
        if refused is not None:
            return refused
        route = f"{request.method} {request.path}"
        kind = self.faults.get(route, [None]).pop(0) if self.faults.get(route) else None
        if kind == "500":
            return web.Response(status=502, text="<html>bad gateway</html>")
        if kind == "hostile":  # a refusal whose text tries to drive the terminal
            return error(400, "create_bid_error", "\x1b]0;pwned\x07bad \x1b[31mred\x1b[0m\norder")
        if kind == "429":
            return error(429, "too_many_requests", "Too many API requests.",
                         "group=order; min=0; sec=0")  # fmt: skip
        self.requests.append((request.method, request.path, dict(params)))
        request[PARAMS] = dict(params)
        reply: web.StreamResponse = await handler(request)
        if kind == "slow":
            await asyncio.sleep(self.slow_s)
        if kind == "garbage":
            return web.Response(status=200, text="{'uuid': oops", content_type="application/json")
        if kind == "lost":
            assert request.transport is not None
            request.transport.close()
        reply.headers.update(self._headers())
        return reply

    async def place(self, request: web.Request) -> web.Response:
        result = self.account.place(request[PARAMS], datetime.now(UTC))
        if not isinstance(result, BookOrder):
            return error(*result)
        return web.json_response(result.json(with_trades=False, state="wait"), status=201)

    async def order(self, request: web.Request) -> web.Response:
        found = self.account.find(request[PARAMS].get("identifier", ""))
        if found is None:
            return error(404, "order_not_found", "주문을 찾지 못했습니다.")
        return web.json_response(found.json())

    async def cancel(self, request: web.Request) -> web.Response:
        found = self.account.find(request[PARAMS].get("identifier", ""))
        if found is None or found.state != "wait":
            return error(404, "order_not_found", "주문을 찾지 못했습니다.")
        found.state = "cancel"  # the reply still shows it waiting, as Upbit's does
        return web.json_response(found.json(with_trades=False, state="wait"))

    async def open_orders(self, request: web.Request) -> web.Response:
        states = request.query.getall("states[]", ["wait", "watch"])
        page, limit = int(request.query.get("page", "1")), int(request.query.get("limit", "100"))
        rows = [o.json(with_trades=False) for o in self.account.orders.values()
                if o.state in states]  # fmt: skip
        return web.json_response(rows[(page - 1) * limit : page * limit])

    async def accounts(self, request: web.Request) -> web.Response:
        return web.json_response([
            {"currency": c, "balance": str(v), "locked": "0", "avg_buy_price": "0",
             "avg_buy_price_modified": False, "unit_currency": "KRW"}
            for c, v in self.account.balances.items()])  # fmt: skip

    async def api_keys(self, request: web.Request) -> web.Response:
        expiry = self.key_expiry.astimezone(KST).isoformat()
        return web.json_response([{"access_key": k, "expire_at": expiry} for k in self.keys])

    async def withdraw_chance(self, request: web.Request) -> web.Response:
        if not self.sees_withdrawals:
            return error(401, "out_of_scope", "권한이 부족합니다.")
        return web.json_response({"currency": {"code": request.query.get("currency")}})

    def add_routes(self, app: web.Application) -> web.Application:
        """The exchange API on `app` (its own, or the quotation double's: one address)."""
        guarded, router = self._guarded, app.router
        router.add_post("/v1/orders", guarded(self.place))
        router.add_get("/v1/order", guarded(self.order))
        router.add_delete("/v1/order", guarded(self.cancel))
        router.add_get("/v1/orders/open", guarded(self.open_orders))
        router.add_get("/v1/accounts", guarded(self.accounts))
        router.add_get("/v1/api_keys", guarded(self.api_keys))
        router.add_get("/v1/withdraws/chance", guarded(self.withdraw_chance))
        router.add_get("/websocket/v1/private", self.private.handle)
        app.cleanup_ctx.append(self.private.watch)
        return app

    def app(self) -> web.Application:
        return self.add_routes(web.Application())


@asynccontextmanager
async def live_upbit(
    krw: Decimal = Decimal(100_000_000),
) -> AsyncIterator[tuple[UpbitStream, UpbitExchangeDouble, str]]:
    """Upbit for a live trader: the quotation API, the market WebSocket and the signed
    exchange API (with its private stream) on one 127.0.0.1 address, UPBIT_API_URL; the
    account holds `krw` won and nothing else."""
    quotation, stream, exchange = (
        UpbitQuotation(now=datetime.now(UTC)),
        UpbitStream(),
        UpbitExchangeDouble(),
    )
    exchange.account.balances = {"KRW": krw}
    app = quotation.app()
    app.router.add_get("/websocket/v1", stream.handle)
    async with serve(exchange.add_routes(app)) as url:
        yield stream, exchange, url


@asynccontextmanager
async def upbit_exchange(double: UpbitExchangeDouble) -> AsyncIterator[str]:
    """The double's base URL while it runs."""
    async with serve(double.app()) as url:
        yield url
