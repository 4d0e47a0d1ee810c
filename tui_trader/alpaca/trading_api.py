"""Alpaca's trading API (orders, account, assets, positions, clock) through Alpaca's
official SDK, alpaca-py's TradingClient, without ever blocking the event loop.

Why the SDK, and what we change in it: it is Alpaca's own and parses every reply into its
pydantic models (a reply that does not read as one is a clear error here, not a crash
later), and `url_override` points it at a local double. But it is synchronous (requests)
and was written for scripts, so:
- every call runs in a thread (`asyncio.to_thread`) under `asyncio.wait_for`, and the
  requests session gets a timeout of its own (it has none: a thread would hang forever);
- its retry loop is switched off (it re-sends on 429 and 504 after a blocking 3 s sleep,
  POSTs included: a placed order could be sent twice). We decide instead: reads are
  retried after a 429 or a 5xx; an order or a cancel never is, its outcome is unknown
  and only a query by client_order_id may tell;
- orders are POSTed through the SDK's own transport (`post("/orders", body)`) with the
  documented string form of every number: its request models carry floats;
- the rate limit is read from every reply's `X-Ratelimit-Remaining`/`X-Ratelimit-Reset`
  (a response hook on its session): at 0 left, or after a 429, the next call waits for
  the reset (at least `pause_s`, at most MAX_PAUSE_S) instead of hammering.
Alpaca's error body is `{"code": 40010001, "message": "..."}`: a 4xx other than 429 is
its definite answer (AlpacaRefused, the message made printable); no answer, a 5xx, a 429
that stays, or a body that is not JSON is BrokerError, the outcome unknown."""

import asyncio
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from tui_trader.execution.broker import BrokerError, NotSent, OrderRejected
from tui_trader.secrets.env import ExchangeKeys
from tui_trader.text_safety import printable

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
RETRIES = 3  # tries of a read that meets a 429 or a 5xx
PAGE = 500  # orders per page: Alpaca's maximum
ACTIVITY_PAGE = 100  # account activities per page: Alpaca's maximum
MAX_PAUSE_S = 60.0
NO_SDK_RETRY = [-1]  # a status no reply has: the SDK's own retry never fires
T = TypeVar("T")


class AlpacaRefused(OrderRejected):
    """Alpaca answered with its error body: nothing was done."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(f"Alpaca refused ({status} {code}): {message}")


def trading_mode(url: str) -> str:
    """What the trading URL decides: Alpaca's paper or live account (else the URL)."""
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    if host == "paper-api.alpaca.markets":
        return "paper"
    if host == "api.alpaca.markets":
        return "live"
    return f"other ({printable(url, 80)})"


class AlpacaTrading:
    """One TradingClient (one requests session) against Alpaca or a local double."""

    def __init__(
        self,
        keys: ExchangeKeys,
        url: str,
        *,
        timeout_s: float = 10.0,
        pause_s: float = 1.0,
        page: int = PAGE,
    ) -> None:
        self._keys, self.url, self._page = keys, url.rstrip("/"), page
        self._timeout_s, self._pause_s = timeout_s, pause_s
        self._client: Any = None
        self._remaining: int | None = None
        self._reset_at = 0.0  # epoch seconds of the next rate-limit window
        self._limited = False  # the last reply was a 429

    @property
    def mode(self) -> str:
        return trading_mode(self.url)

    async def start(self) -> None:
        if self._client is None:
            self._client = _client(self._keys, self.url, self._timeout_s, self._on_reply)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await asyncio.to_thread(client._session.close)

    # --- the calls --------------------------------------------------------------------
    async def place(self, body: dict[str, Any]) -> Any:
        """POST /v2/orders; sent once, whatever happens."""
        from alpaca.trading.models import Order

        return await self._call("POST /v2/orders", lambda c: Order(**c.post("/orders", body)), 1)

    async def order_by_client_id(self, client_order_id: str) -> Any:
        what = "GET /v2/orders:by_client_order_id"
        return await self._call(what, lambda c: c.get_order_by_client_id(client_order_id))

    async def open_orders(self) -> list[Any]:
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        query = GetOrdersRequest(status=QueryOrderStatus.OPEN, nested=True, limit=PAGE)
        return await self._call("GET /v2/orders", lambda c: c.get_orders(query))

    async def orders_since(self, after: datetime) -> list[Any]:
        """Every order (closed ones too, legs nested) submitted after `after`, oldest
        first, page by page (Alpaca's `after` is the submission time)."""
        from alpaca.common.enums import Sort
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        found: list[Any] = []
        while True:
            query = GetOrdersRequest(
                status=QueryOrderStatus.ALL,
                nested=True,
                after=after,
                direction=Sort.ASC,
                limit=self._page,
            )
            page: list[Any] = await self._call("GET /v2/orders", _listing(query))
            found += page
            if len(page) < self._page:
                return found
            after = page[-1].submitted_at

    async def fee_activities(self, after: datetime) -> list[Any]:
        """GET /v2/account/activities/FEE: the fees charged after `after`, oldest first,
        page by page, as raw JSON (the SDK has no call nor model for account activities:
        its own transport signs the request; fee_activities.py reads the rows)."""
        path, found = "/account/activities/FEE", []
        params: dict[str, Any] = {"after": after.isoformat(), "direction": "asc",
                                  "page_size": ACTIVITY_PAGE}  # fmt: skip
        while True:
            page = await self._call(f"GET /v2{path}", _activities(path, dict(params)))
            if not isinstance(page, list) or not all(isinstance(r, dict) for r in page):
                raise BrokerError(f"Alpaca GET /v2{path}: unreadable reply (not a list)")
            found += page
            if len(page) < ACTIVITY_PAGE:
                return found
            params["page_token"] = str(page[-1].get("id", ""))

    async def cancel(self, order_id: str) -> None:
        """DELETE /v2/orders/{id}; sent once."""
        await self._call("DELETE /v2/orders/{id}", lambda c: c.cancel_order_by_id(order_id), 1)

    async def account(self) -> Any:
        return await self._call("GET /v2/account", lambda c: c.get_account())

    async def asset(self, ticker: str) -> Any:
        return await self._call("GET /v2/assets", lambda c: c.get_asset(ticker))

    async def positions(self) -> list[Any]:
        return await self._call("GET /v2/positions", lambda c: c.get_all_positions())

    async def close_all(self) -> Any:
        """DELETE /v2/positions?cancel_orders=true: every position closed at market."""
        return await self._call(
            "DELETE /v2/positions", lambda c: c.close_all_positions(cancel_orders=True), 1
        )

    async def clock(self) -> Any:
        return await self._call("GET /v2/clock", lambda c: c.get_clock())

    # --- one call ---------------------------------------------------------------------
    async def _call(self, what: str, work: Callable[[Any], T], tries: int = RETRIES) -> T:
        if self._client is None:
            raise NotSent("the Alpaca trading client is not started (or closed)")
        for attempt in range(1, tries + 1):
            await self._wait_turn()
            try:
                return await self._in_thread(what, work)
            except _Busy as exc:
                if attempt == tries:
                    raise BrokerError(f"Alpaca {what}: {exc}; outcome unknown") from None
                await asyncio.sleep(self._pause_s * attempt)
        raise AssertionError("unreachable")

    async def _in_thread(self, what: str, work: Callable[[Any], T]) -> T:
        from alpaca.common.exceptions import APIError
        from pydantic import ValidationError
        from requests import JSONDecodeError, RequestException

        client = self._client
        try:
            return await asyncio.wait_for(asyncio.to_thread(work, client), self._timeout_s + 1.0)
        except APIError as exc:
            raise _refusal(what, exc) from None
        except (TimeoutError, RequestException) as exc:
            if isinstance(exc, JSONDecodeError):
                unreadable = f"Alpaca {what}: the reply is not JSON; outcome unknown"
                raise BrokerError(unreadable) from None
            why = type(exc).__name__
            raise BrokerError(f"Alpaca {what}: no answer ({why}); outcome unknown") from None
        except (ValidationError, TypeError, ValueError) as exc:
            short = printable(str(exc).replace("\n", " "), 160)
            raise BrokerError(f"Alpaca {what}: unreadable reply ({short})") from None

    async def _wait_turn(self) -> None:
        if not self._limited and self._remaining != 0:
            return
        delay = min(max(self._reset_at - time.time(), self._pause_s), MAX_PAUSE_S)
        self._limited, self._remaining = False, None
        await asyncio.sleep(delay)

    def _on_reply(self, status: int, headers: Any) -> None:
        """Runs in the SDK's thread for every reply: only plain assignments."""
        remaining, reset = headers.get("X-Ratelimit-Remaining"), headers.get("X-Ratelimit-Reset")
        self._limited = status == 429
        if remaining is not None and str(remaining).isdigit():
            self._remaining = int(remaining)
        if reset is not None and str(reset).isdigit():
            self._reset_at = float(reset)


def _activities(path: str, params: dict[str, Any]) -> Callable[[Any], Any]:
    return lambda client: client.get(path, params)


def _listing(query: Any) -> Callable[[Any], list[Any]]:
    return lambda client: client.get_orders(query)


class _Busy(BrokerError):
    """A 429 or a 5xx: the call may go again if it is a read."""


def _refusal(what: str, exc: Any) -> BrokerError | AlpacaRefused:
    status = exc.status_code or 0
    text = str(exc)
    if status == 429 or status >= 500:
        return _Busy(f"HTTP {status} ({printable(text, 120)})")
    try:
        body = json.loads(text)
        code, message = body.get("code"), str(body.get("message", ""))
    except (ValueError, AttributeError):
        if status < 400:
            return BrokerError(f"Alpaca {what}: HTTP {status}, unreadable; outcome unknown")
        code, message = None, text
    return AlpacaRefused(status, code if isinstance(code, int) else None, printable(message, 200))


def _client(keys: ExchangeKeys, url: str, timeout_s: float, on_reply: Any) -> Any:
    """The SDK's client, made safe for a thread under a timeout (module docstring)."""
    from alpaca.trading.client import TradingClient
    from requests.adapters import HTTPAdapter

    class TimeoutAdapter(HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            kwargs["timeout"] = kwargs.get("timeout") or timeout_s
            return super().send(request, **kwargs)

    client = TradingClient(
        keys.api_key, keys.api_secret, paper=trading_mode(url) != "live", url_override=url
    )
    client._retry_codes = NO_SDK_RETRY
    session = client._session
    for scheme in ("http://", "https://"):
        session.mount(scheme, TimeoutAdapter(max_retries=0))
    hook = lambda reply, *a, **k: on_reply(reply.status_code, reply.headers)  # noqa: E731
    session.hooks["response"].append(hook)
    return client
