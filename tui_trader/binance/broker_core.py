"""What the spot and USD-M brokers share: orders placed, cancelled and queried under
one set of rules, the order tracker and the listeners (connecting, user data and
reconciliation: broker_sync.py).

Rules it keeps:
- our client_order_id is Binance's newClientOrderId, and an id is sent at most once;
  a second submit of the same id queries instead of sending;
- exchange filters are checked locally first, a violation is refused with the reason;
- -1021: resync the clock offset and retry once (Binance did not process the request);
- 429/418: nothing is sent until Retry-After has passed (RateLimited is raised);
- -2010/-1013/-4164 and other request errors: a REJECTED order with Binance's message;
- timeout, 5xx or a duplicate-id reply: the order is queried by client id before
  anything else; found → that order, -2013 → REJECTED "not placed", else BrokerError;
- orders someone else placed (any type the venue has) are adopted and announced once
  as foreign; an unreadable order in the open-orders list is skipped and reported once,
  the rest of the list is kept.
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tui_trader.binance.caller import ApiCaller
from tui_trader.binance.client import ClientSpec
from tui_trader.binance.errors import ErrorKind, ExchangeCallFailed, RateLimited
from tui_trader.binance.filters import order_refusal
from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_orders import (
    OrderReport,
    describe_raw_order,
    parse_rest_order,
    raw_order_key,
)
from tui_trader.binance.tracker import OrderTracker
from tui_trader.clock import Clock
from tui_trader.domain.enums import MarketKind, OrderStatus, OrderType, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind, tell
from tui_trader.domain.guards import is_guard_id
from tui_trader.domain.orders import Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.broker import BrokerError, BrokerEvent, BrokerListener
from tui_trader.execution.idempotency import CLIENT_ID_PREFIX
from tui_trader.resilience.breaker import DEFAULT_BREAKER, BreakerLimits
from tui_trader.resilience.retry import Backoff

log = logging.getLogger(__name__)
SafetyListener = Callable[[SafetyEvent], None]
PriceSource = Callable[[str], Decimal | None]


@dataclass(frozen=True, slots=True)
class Calls:
    """The python-binance AsyncClient methods of one market."""

    place: str
    get: str
    cancel: str
    open_orders: str
    trades: str
    exchange_info: str


class ExchangeBroker(ABC):
    name: str
    market: MarketKind
    calls: Calls

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
        silence_s: float = 60.0,
        poll_s: float = 15.0,
        breaker: BreakerLimits = DEFAULT_BREAKER,
    ) -> None:
        """`ws_api_timeout_s`: the user data WebSocket's timeout, also start()'s wait for
        the first subscription. `silence_s`: user data silence (while orders work) after
        which open orders and the account are polled over REST every `poll_s`."""
        self._symbol_info: dict[str, dict[str, Any]] = {}  # exchangeInfo rows, by symbol
        self._spec, self._symbols, self._clock = spec, tuple(symbols), clock
        self._on_safety, self._reference_price = on_safety, reference_price
        self._timeout_s = request_timeout_s
        self._backoff, self._ws_timeout_s = backoff, ws_api_timeout_s
        self._silence_s, self._poll_s = silence_s, poll_s
        self._breaker_limits = breaker
        self._client: Any = None
        self._api: ApiCaller | None = None
        self._rules: dict[str, SymbolRules] = {}
        self._status: dict[str, str] = {}
        self._tracker = OrderTracker()
        self._sent: set[str] = set()
        self._listeners: list[BrokerListener] = []
        self._balances: dict[str, Balance] = {}
        self._unreadable: set[str] = set()  # unreadable open orders already reported

    # --- to be provided per market ----------------------------------------------------
    @abstractmethod
    def _market_params(self, order: Order) -> dict[str, str]:
        """The order parameters only this market sends."""

    @abstractmethod
    async def balances(self) -> dict[str, Balance]: ...

    @abstractmethod
    async def positions(self) -> dict[str, Position]:
        """Open positions on the exchange (spot has none: holdings are balances)."""

    # --- listeners and state (start and close: broker_sync.py) ---------------------
    def subscribe(self, listener: BrokerListener) -> None:
        self._listeners.append(listener)

    def rules(self, symbol: str) -> SymbolRules | None:
        """The symbol's filters, for sizing and rounding before an order is made."""
        return self._rules.get(symbol)

    @property
    def last_balances(self) -> dict[str, Balance]:
        """Balances as of the last account reply or user data event (no I/O)."""
        return dict(self._balances)

    # --- orders ---------------------------------------------------------------------
    async def submit(self, order: Order) -> Order:
        cid = order.client_order_id
        if cid in self._sent:
            known = self._tracker.get(cid)
            if known is not None and not known.is_open:
                return known
            return await self._recover(order, "already sent once")
        refusal = self._refusal(order)
        if refusal:
            return order.evolve(
                status=OrderStatus.REJECTED,
                updated_at=self._clock.now(),
                reason=f"refused locally: {refusal}",
            )
        self._tracker.add(order)
        self._sent.add(cid)
        try:
            reply = await self._call(self.calls.place, **self._order_params(order))
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
                self.calls.cancel, symbol=symbol, origClientOrderId=client_order_id
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
                    self.calls.get, symbol=symbol, origClientOrderId=client_order_id
                )
            except ExchangeCallFailed as exc:
                if exc.error.kind is ErrorKind.NOT_FOUND:
                    continue
                raise
            return self._apply_reply(reply)
        return None

    async def open_orders(self) -> list[Order]:
        """Every open order on the account, ours and foreign. One that cannot be read
        is left out (reported once); the others are kept."""
        replies = await self._call(self.calls.open_orders)
        if not isinstance(replies, list):
            raise BrokerError(f"unreadable open orders reply: {type(replies).__name__}")
        orders = []
        for reply in replies:
            try:
                report = parse_rest_order(reply)
            except ParseError as exc:
                self._skip_unreadable(reply, exc)
                continue
            if is_guard_id(report.client_order_id):
                continue  # the exchange's stops are guards (GuardVenue), not the book's
            orders.append(self._order_after(report))
        return orders

    def _skip_unreadable(self, reply: Any, error: ParseError) -> None:
        key = raw_order_key(reply)
        if key in self._unreadable:
            return
        self._unreadable.add(key)
        what = describe_raw_order(reply)
        message = f"skipped an unreadable open order on {self.name} ({what}): {error}"
        self._report(Severity.WARNING, SafetyKind.UNREADABLE_ORDER, message, {"order": key})

    def _order_params(self, order: Order) -> dict[str, str]:
        params = {
            "symbol": order.symbol,
            "side": order.side.value,
            "type": order.order_type.value,
            "quantity": f"{order.quantity:f}",
            "newClientOrderId": order.client_order_id,
        }
        if order.order_type is OrderType.LIMIT and order.price is not None:
            params |= {"price": f"{order.price:f}", "timeInForce": "GTC"}
        return params | self._market_params(order)

    def _refusal(self, order: Order) -> str:
        """Why the exchange would refuse `order` ("" if it would not). Only MARKET and
        LIMIT orders are ever sent: a venue type is what foreign orders have."""
        if order.venue_type:
            return f"{order.venue_type} orders are never sent"
        ref = self._reference_price(order.symbol) if self._reference_price else None
        return order_refusal(
            order, self._rules.get(order.symbol), self._status.get(order.symbol, ""), ref
        )

    # --- internals ------------------------------------------------------------------
    async def _call(self, method: str, **params: Any) -> Any:
        """Call AsyncClient.`method` under the ApiCaller's rules."""
        if self._api is None:
            raise BrokerError(f"{type(self).__name__}.start() has not been called")
        return await self._api(getattr(self._client, method), **params)

    async def _recover(self, order: Order, why: str) -> Order:
        """The placement's outcome is unknown: ask Binance by client order id."""
        cid = order.client_order_id
        try:
            reply = await self._call(self.calls.get, symbol=order.symbol, origClientOrderId=cid)
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
        return self._order_after(report)

    def _order_after(self, report: OrderReport) -> Order:
        self._take(report)
        order = self._tracker.get(report.client_order_id)
        assert order is not None  # apply() always records the order
        return order

    def _take(self, report: OrderReport) -> list[BrokerEvent]:
        """Apply `report`, announce what is new and return it. An order first seen here
        that we did not place is reported once as foreign."""
        first = self._tracker.get(report.client_order_id) is None
        events = self._tracker.apply(report)
        if first and not report.client_order_id.startswith(CLIENT_ID_PREFIX):
            self._report_foreign(report)
        self._emit(events)
        return events

    def _report_foreign(self, report: OrderReport) -> None:
        kind = report.venue_type or report.order_type.value
        price = f" @ {report.price}" if report.price is not None else ""
        message = (
            f"foreign order on {self.name}: {kind} {report.side} {report.quantity} "
            f"{report.symbol}{price} ({report.client_order_id}), {report.status}: "
            "placed outside this trader"
        )
        data = {
            "client_order_id": report.client_order_id,
            "exchange_order_id": report.exchange_order_id,
            "venue_type": kind,
        }
        self._report(Severity.WARNING, SafetyKind.FOREIGN_ORDER, message, data, report.symbol)

    async def _open_symbol(self, client_order_id: str) -> str | None:
        for order in await self.open_orders():
            if order.client_order_id == client_order_id:
                return order.symbol
        return None

    def _emit(self, events: Sequence[BrokerEvent]) -> None:
        for event in events:
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:  # one broken listener must not starve the others
                    log.exception("broker listener failed on %r", event)

    def _report(
        self,
        severity: Severity,
        kind: SafetyKind,
        message: str,
        data: dict[str, Any],
        symbol: str = "",
    ) -> None:
        tell(self._on_safety, SafetyEvent(self._clock.now(), severity, kind, message, symbol, data))
