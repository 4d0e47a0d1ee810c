"""Upbit's exchange API (orders, accounts, API keys): signed requests on aiohttp.

Rules it keeps:
- every request carries its own JWT (auth.py); a POST sends its parameters as a JSON
  body and hashes them as a query string, GET and DELETE send them in the URL;
- `Remaining-Req: group=...; min=M; sec=S`: at S = 0 the next request waits `pause_s`;
  a 429 waits too. Reads (GET) are retried after a 429 or a 5xx, a few times; an order
  or a cancel never is: its outcome is unknown and only a query by identifier may tell;
- an error body `{"error": {"name": ..., "message": ...}}` with a 4xx is Upbit's definite
  answer: UpbitRefused, carrying the venue's text made printable (it reaches the screen);
- no answer (timeout, connection lost), a 5xx, a 429 that stays, or a body that is not
  JSON: BrokerError, the outcome is unknown; 418 (this address is blocked): NotSent.
Numbers are read as exact Decimals from the JSON text."""

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from tui_trader.execution.broker import BrokerError, NotSent, OrderRejected
from tui_trader.secrets.env import ExchangeKeys
from tui_trader.text_safety import printable
from tui_trader.upbit.auth import token
from tui_trader.upbit.quotation import API, read_json, remaining_per_second

RETRIES = 3  # tries of a read that meets a 429 or a 5xx
OPEN_STATES = ("wait", "watch")
PAGE = 100  # open orders per page: Upbit's maximum
Query = Sequence[tuple[str, str]]


class UpbitRefused(OrderRejected):
    """Upbit answered with its error body: nothing was done (no order placed, none
    cancelled, the key refused). `name` is Upbit's error name, e.g. `order_not_found`."""

    def __init__(self, status: int, name: str, message: str) -> None:
        self.status, self.name, self.message = status, name, message
        super().__init__(f"Upbit refused ({status} {name}): {message}")


class UpbitExchange:
    """One aiohttp session against Upbit's exchange API (or a local double)."""

    def __init__(
        self,
        keys: ExchangeKeys,
        base_url: str = API,
        *,
        timeout_s: float = 10.0,
        pause_s: float = 1.0,
    ) -> None:
        self._keys, self._base = keys, base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._pause_s = pause_s
        self._session: aiohttp.ClientSession | None = None
        self._not_before = 0.0  # loop time before which no request goes (rate limit)

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- the calls --------------------------------------------------------------------
    async def place(self, params: Mapping[str, str]) -> Any:
        """POST /v1/orders; sent once, whatever happens."""
        return await self._request("POST", "/v1/orders", list(params.items()), retry=False)

    async def order(self, identifier: str) -> Any:
        """GET /v1/order by our identifier (with its trades)."""
        return await self._request("GET", "/v1/order", [("identifier", identifier)])

    async def cancel(self, identifier: str) -> Any:
        """DELETE /v1/order by our identifier; sent once."""
        return await self._request("DELETE", "/v1/order", [("identifier", identifier)], retry=False)

    async def open_orders(self, page: int = 1) -> Any:
        """GET /v1/orders/open: one page of the account's waiting orders, all markets."""
        query = [("states[]", state) for state in OPEN_STATES]
        query += [("page", str(page)), ("limit", str(PAGE))]
        return await self._request("GET", "/v1/orders/open", query)

    async def accounts(self) -> Any:
        return await self._request("GET", "/v1/accounts", [])

    async def api_keys(self) -> Any:
        """GET /v1/api_keys: the account's access keys and when each expires."""
        return await self._request("GET", "/v1/api_keys", [])

    async def withdraw_chance(self, currency: str) -> Any:
        """GET /v1/withdraws/chance: answers only a key allowed to see withdrawals."""
        query = [("currency", currency), ("net_type", currency)]
        return await self._request("GET", "/v1/withdraws/chance", query)

    # --- one request ------------------------------------------------------------------
    async def _request(self, method: str, path: str, query: Query, retry: bool = True) -> Any:
        if self._session is None:
            raise NotSent("the Upbit exchange client is not started (or closed)")
        what = f"Upbit {method} {path}"
        tries = RETRIES if retry else 1
        for attempt in range(1, tries + 1):
            status, remaining, text = await self._send(method, path, query, what)
            self._note(status, remaining)
            if status == 418:
                raise NotSent(f"{what}: Upbit blocked this address for too many requests")
            if status != 429 and status < 500:
                return _body(status, text, what)
            if attempt < tries:
                await asyncio.sleep(self._pause_s * attempt)
        raise BrokerError(f"{what}: HTTP {status} ({printable(text, 120)}); outcome unknown")

    async def _send(self, method: str, path: str, query: Query, what: str) -> tuple[int, str, str]:
        assert self._session is not None
        await self._wait_turn()
        signed = token(self._keys.api_key, self._keys.api_secret, query)
        auth = {"Authorization": f"Bearer {signed}"}
        as_json = method == "POST"
        try:
            async with self._session.request(
                method,
                self._base + path,
                params=None if as_json else list(query),
                json=dict(query) if as_json else None,
                headers=auth,
            ) as reply:
                return reply.status, reply.headers.get("Remaining-Req", ""), await reply.text()
        except (TimeoutError, aiohttp.ClientError) as exc:
            why = type(exc).__name__
            raise BrokerError(f"{what}: no answer ({why}); outcome unknown") from None

    async def _wait_turn(self) -> None:
        delay = self._not_before - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    def _note(self, status: int, remaining: str) -> None:
        if status == 429 or remaining_per_second(remaining) == 0:
            self._not_before = asyncio.get_running_loop().time() + self._pause_s


def _body(status: int, text: str, what: str) -> Any:
    """A reply below 500 (not 418, not 429): the JSON body, or Upbit's refusal."""
    try:
        body = read_json(text)
    except ValueError:
        raise BrokerError(
            f"{what}: HTTP {status}, not JSON ({printable(text, 80)!r}); outcome unknown"
        ) from None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        name = printable(str(error.get("name") or status), 60)
        message = printable(str(error.get("message") or ""), 200)
        if status >= 400:
            raise UpbitRefused(status, name, message)
    if status >= 300 or error is not None:
        raise BrokerError(f"{what}: HTTP {status} ({printable(text, 120)}); outcome unknown")
    return body
