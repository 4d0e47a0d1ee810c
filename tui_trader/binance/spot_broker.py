"""BinanceSpotBroker: places, cancels and queries spot orders with python-binance, and
turns the user data stream into Order / Fill events.

Rules it keeps:
- our client_order_id is Binance's newClientOrderId, and an id is sent at most once;
  a second submit of the same id queries instead of sending;
- exchange filters are checked locally first, a violation is refused with the reason;
- -1021: resync the clock offset and retry once (Binance did not process the request);
- 429/418: nothing is sent until Retry-After has passed (RateLimited is raised);
- -2010/-1013 and other request errors: a REJECTED order carrying Binance's message;
- timeout, 5xx or a duplicate-id reply: the order is queried by client id before
  anything else; found → that order, -2013 → REJECTED "not placed", else BrokerError.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from decimal import Decimal
from typing import Any

from tui_trader.binance.aio import Backoff, cancel_and_wait
from tui_trader.binance.caller import ApiCaller
from tui_trader.binance.client import ClientSpec, close_client
from tui_trader.binance.errors import (
    ErrorKind,
    ExchangeCallFailed,
    RateLimited,
)
from tui_trader.binance.filters import order_refusal, rules_from_exchange_info
from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_account import parse_account_balances, parse_account_position
from tui_trader.binance.parse_orders import parse_execution_report, parse_rest_order
from tui_trader.binance.tracker import OrderTracker
from tui_trader.binance.user_stream import SpotUserStream
from tui_trader.brokers.base import BrokerError, BrokerEvent, BrokerListener
from tui_trader.clock import Clock
from tui_trader.domain.enums import MarketKind, OrderStatus, OrderType, Severity
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Balance
from tui_trader.domain.rules import SymbolRules

log = logging.getLogger(__name__)
SafetyListener = Callable[[SafetyEvent], None]
PriceSource = Callable[[str], Decimal | None]


class BinanceSpotBroker:
    name = "binance-spot"

    def __init__(
        self,
        spec: ClientSpec,
        symbols: Sequence[str],
        *,
        clock: Clock,
        on_safety: SafetyListener | None = None,
        reference_price: PriceSource | None = None,
        request_timeout_s: float = 10.0,
        backoff: Backoff | None = None,
        ws_api_timeout_s: float = 5.0,
    ) -> None:
        self._spec, self._symbols, self._clock = spec, tuple(symbols), clock
        self._on_safety, self._reference_price = on_safety, reference_price
        self._timeout_s, self._ws_timeout_s = request_timeout_s, ws_api_timeout_s
        self._backoff = backoff
        self._client: Any = None
        self._api: ApiCaller | None = None
        self._rules: dict[str, SymbolRules] = {}
        self._status: dict[str, str] = {}
        self._tracker = OrderTracker()
        self._sent: set[str] = set()
        self._listeners: list[BrokerListener] = []
        self._balances: dict[str, Balance] = {}
        self._user: SpotUserStream | None = None
        self._user_task: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Connect (inside the running loop), load the symbols' filters and subscribe to
        user data. Raises BrokerError if a symbol is unknown to the exchange."""
        self._client = await self._spec.create()
        self._api = ApiCaller(self._client, timeout_s=self._timeout_s, report=self._report)
        info = await self._client.get_exchange_info()
        self._rules, self._status = rules_from_exchange_info(info, MarketKind.SPOT, self._symbols)
        missing = sorted(set(self._symbols) - set(self._rules))
        if missing:
            await self.close()
            raise BrokerError(f"symbols unknown to Binance: {', '.join(missing)}")
        self._user = SpotUserStream(
            self._client,
            self._on_user_event,
            self._reconcile,
            backoff=self._backoff,
            timeout_s=self._ws_timeout_s,
        )
        self._user_task = asyncio.create_task(self._user.run(), name="binance-spot-user-data")
        self._user_task.add_done_callback(self._on_user_task_done)
        with suppress(TimeoutError):
            await asyncio.wait_for(self._user.subscribed.wait(), self._ws_timeout_s)

    async def close(self) -> None:
        if self._user_task is not None:
            await cancel_and_wait(self._user_task)
        if self._user is not None:
            await self._user.close()
        if self._client is not None:
            with suppress(Exception):
                await close_client(self._client)

    def subscribe(self, listener: BrokerListener) -> None:
        self._listeners.append(listener)

    def rules(self, symbol: str) -> SymbolRules | None:
        """The symbol's filters, for sizing and rounding before an order is made."""
        return self._rules.get(symbol)

    @property
    def last_balances(self) -> dict[str, Balance]:
        """Balances as of the last account reply or outboundAccountPosition (no I/O)."""
        return dict(self._balances)

    # --- orders ---------------------------------------------------------------------
    async def submit(self, order: Order) -> Order:
        cid = order.client_order_id
        if cid in self._sent:
            known = self._tracker.get(cid)
            if known is not None and not known.is_open:
                return known
            return await self._recover(order, "already sent once")
        ref = self._reference_price(order.symbol) if self._reference_price else None
        refusal = order_refusal(
            order, self._rules.get(order.symbol), self._status.get(order.symbol, ""), ref
        )
        if refusal:
            return order.evolve(
                status=OrderStatus.REJECTED,
                updated_at=self._clock.now(),
                reason=f"refused locally: {refusal}",
            )
        self._tracker.add(order)
        self._sent.add(cid)
        try:
            reply = await self._call("create_order", **self._order_params(order))
        except RateLimited:
            self._sent.discard(cid)  # Binance refused it unprocessed; it may be sent later
            raise
        except ExchangeCallFailed as exc:
            kind = exc.error.kind
            if kind in (ErrorKind.UNKNOWN_OUTCOME, ErrorKind.DUPLICATE):
                return await self._recover(order, exc.error.describe())
            return self._reject(order, exc.error.describe())
        return self._apply_reply(reply)

    async def cancel(self, client_order_id: str) -> Order | None:
        known = self._tracker.get(client_order_id)
        symbol = known.symbol if known else await self._open_symbol(client_order_id)
        if symbol is None:
            return None
        try:
            reply = await self._call(
                "cancel_order", symbol=symbol, origClientOrderId=client_order_id
            )
        except ExchangeCallFailed as exc:
            if exc.error.kind is ErrorKind.NOT_FOUND:
                return None
            raise
        return self._apply_reply(reply)

    async def query(self, client_order_id: str) -> Order | None:
        known = self._tracker.get(client_order_id)
        for symbol in [known.symbol] if known else list(self._rules):
            try:
                reply = await self._call(
                    "get_order", symbol=symbol, origClientOrderId=client_order_id
                )
            except ExchangeCallFailed as exc:
                if exc.error.kind is ErrorKind.NOT_FOUND:
                    continue
                raise
            return self._apply_reply(reply)
        return None

    async def open_orders(self) -> list[Order]:
        replies = await self._call("get_open_orders")
        return [self._apply_reply(reply) for reply in replies]

    async def balances(self) -> dict[str, Balance]:
        reply = await self._call("get_account")
        try:
            self._balances = parse_account_balances(reply)
        except ParseError as exc:
            raise BrokerError(f"unreadable account reply: {exc}") from None
        return dict(self._balances)

    # --- internals ------------------------------------------------------------------
    @staticmethod
    def _order_params(order: Order) -> dict[str, str]:
        params = {
            "symbol": order.symbol,
            "side": order.side.value,
            "type": order.order_type.value,
            "quantity": f"{order.quantity:f}",
            "newClientOrderId": order.client_order_id,
            "newOrderRespType": "FULL",
        }
        if order.order_type is OrderType.LIMIT and order.price is not None:
            params |= {"price": f"{order.price:f}", "timeInForce": "GTC"}
        return params

    async def _call(self, method: str, **params: Any) -> Any:
        """Call AsyncClient.`method` under the ApiCaller's rules."""
        if self._api is None:
            raise BrokerError("BinanceSpotBroker.start() has not been called")
        return await self._api(getattr(self._client, method), **params)

    async def _recover(self, order: Order, why: str) -> Order:
        """The placement's outcome is unknown: ask Binance by client order id."""
        cid = order.client_order_id
        try:
            reply = await self._call("get_order", symbol=order.symbol, origClientOrderId=cid)
        except RateLimited as exc:
            raise BrokerError(f"{cid}: outcome unknown ({why}); query later: {exc}") from None
        except ExchangeCallFailed as exc:
            if exc.error.kind is ErrorKind.NOT_FOUND:
                return self._reject(order, f"not placed ({why}); Binance: {exc.error.describe()}")
            raise BrokerError(f"{cid}: outcome unknown ({why}): {exc.error.describe()}") from None
        return self._apply_reply(reply)

    def _reject(self, order: Order, reason: str) -> Order:
        rejected = order.evolve(
            status=OrderStatus.REJECTED, reason=reason, updated_at=self._clock.now()
        )
        self._tracker.add(rejected)
        self._emit([rejected])
        return rejected

    def _apply_reply(self, reply: Any) -> Order:
        try:
            report = parse_rest_order(reply)
        except ParseError as exc:
            raise BrokerError(f"unreadable order reply: {exc}") from None
        self._emit(self._tracker.apply(report))
        order = self._tracker.get(report.client_order_id)
        assert order is not None  # apply() always records the order
        return order

    async def _open_symbol(self, client_order_id: str) -> str | None:
        for order in await self.open_orders():
            if order.client_order_id == client_order_id:
                return order.symbol
        return None

    def _on_user_event(self, event: dict[str, Any]) -> None:
        try:
            if event.get("e") == "executionReport":
                self._emit(self._tracker.apply(parse_execution_report(event)))
            elif event.get("e") == "outboundAccountPosition":
                self._balances |= parse_account_position(event)
        except ParseError as exc:
            message = f"dropped user data event: {exc}"
            self._report(Severity.WARNING, "bad_user_event", message, {})

    async def _reconcile(self, reason: str) -> None:
        """After a re-subscription, events may have been missed: refresh open orders."""
        message = f"user data re-subscribed after {reason}; reconciling open orders"
        self._report(Severity.WARNING, "user_stream_resubscribed", message, {})
        for order in self._tracker.open_orders():
            with suppress(BrokerError):
                await self.query(order.client_order_id)

    def _emit(self, events: list[BrokerEvent]) -> None:
        for event in events:
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:  # one broken listener must not starve the others
                    log.exception("broker listener failed on %r", event)

    def _on_user_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            message = f"user data stream stopped: {task.exception()!r}; fills may be missed"
            self._report(Severity.CRITICAL, "user_stream_failed", message, {})

    def _report(self, severity: Severity, kind: str, message: str, data: dict[str, Any]) -> None:
        if self._on_safety is None:
            return
        try:
            self._on_safety(SafetyEvent(self._clock.now(), severity, kind, message, data=data))
        except Exception:
            log.exception("safety listener failed")
