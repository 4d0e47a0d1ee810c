"""What the Binance brokers share beyond orders: connecting, the user data stream with
its silence watchdog, and reconciliation (the `ExchangeAccount` protocol of
reconcile.py): seeding what the journal knows, recovering fills from trade history,
the REST poll that stands in for a silent user stream, and what happens after every
user data re-subscription."""

from abc import abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from typing import Any, TypeVar

from tui_trader.binance.broker_core import ExchangeBroker
from tui_trader.binance.caller import ApiCaller
from tui_trader.binance.client import close_client
from tui_trader.binance.errors import classify
from tui_trader.binance.filters import rules_from_exchange_info
from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_trades import parse_order_trades
from tui_trader.binance.rate_budget import DEFAULT_LIMITS, RateBudget, limits_from_exchange_info
from tui_trader.binance.user_stream import UserStream
from tui_trader.binance.user_watch import UserDataTasks, UserDataWatch
from tui_trader.domain.enums import MarketKind, Severity
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.orders import Fill, Order
from tui_trader.execution.broker import BrokerError
from tui_trader.execution.order_stream import OrderStreamStatus
from tui_trader.execution.reconcile import sync_orders

ReconnectHook = Callable[[str], Awaitable[object]]
T = TypeVar("T")


class ReconcilingBroker(ExchangeBroker):
    venue = "Binance"  # how reconciliation's messages name it
    # Set by the owner (a Reconciler with the trader's book); without one, a
    # re-subscription polls the orders this broker tracks.
    reconnect_hook: ReconnectHook | None = None
    _user: UserDataTasks | None = None
    _stream_status: OrderStreamStatus | None = None

    # --- to be provided per market ----------------------------------------------------
    @abstractmethod
    def _user_stream(self) -> UserStream:
        """The market's user data stream, delivering to `_on_user_event`."""

    @abstractmethod
    def _apply_user_event(self, event: dict[str, Any]) -> None:
        """Take one user data event in; raises ParseError if it is malformed."""

    # --- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Connect (`_connect`), then subscribe to user data. Raises BrokerError with
        the reason (a symbol unknown to the exchange, ...), the client closed."""
        try:  # on any failure or cancellation nothing is left running
            await self._connect()
            stream = self._user_stream()
            stream.status = self._stream_status = self._new_stream_status()
            watch = UserDataWatch(
                busy=self._busy,
                poll=self.poll,
                restart=stream.restart,
                report=self._report,
                silence_s=self._silence_s,
                poll_s=self._poll_s,
                status=self._stream_status,
            )
            self._user = UserDataTasks(stream, watch, self.name, self._report)
            await self._user.start(self._ws_timeout_s)
        except BaseException:
            await self.close()
            raise

    def order_streams(self) -> tuple[OrderStreamStatus, ...]:
        """The user data stream's up/down state, once started (issue 17)."""
        return () if self._stream_status is None else (self._stream_status,)

    def _new_stream_status(self) -> OrderStreamStatus:
        label = "Binance spot" if self.market is MarketKind.SPOT else "Binance USD-M"
        return OrderStreamStatus(
            label,
            f"{label} user data stream",
            clock=self._clock,
            polls_while_down=False,  # the watchdog polls once orders work in silence
            on_safety=self._on_safety,
            while_down="subscribing again (REST polling if orders work meanwhile)",
        )

    async def close(self) -> None:
        if self._user is not None:
            await self._user.close()
        if self._stream_status is not None:
            self._stream_status.closed()
        if self._client is not None:
            with suppress(Exception):
                await close_client(self._client)

    async def _connect(self) -> None:
        """Create the client (inside the running loop) and load the symbols' filters.
        Raises BrokerError if a symbol is unknown to the exchange."""
        try:  # create() pings and reads the server time
            self._client = await self._spec.create()
        except Exception as exc:
            raise BrokerError(f"Binance unreachable: {classify(exc).describe()}") from None
        budget = RateBudget(DEFAULT_LIMITS[self.market])
        self._api = ApiCaller(
            self._client,
            timeout_s=self._timeout_s,
            report=self._report,
            budget=budget,
            limits=self._breaker_limits,
        )
        info = await self._call(self.calls.exchange_info)
        try:
            self._rules, self._status = rules_from_exchange_info(info, self.market, self._symbols)
        except ParseError as exc:
            raise BrokerError(f"unreadable exchangeInfo: {exc}") from None
        rows = info.get("symbols") or []  # the rules parse proved `info` a dict of rows
        self._symbol_info = {str(r.get("symbol")): r for r in rows if isinstance(r, dict)}
        budget.set_limits(limits_from_exchange_info(info.get("rateLimits") or ()))
        missing = sorted(set(self._symbols) - set(self._rules))
        if missing:
            raise BrokerError(f"symbols unknown to Binance: {', '.join(missing)}")

    async def _read(self, method: str, parse: Callable[[Any], T], what: str, **params: Any) -> T:
        """Call AsyncClient.`method` and parse the reply; an unreadable one is a
        BrokerError naming `what`."""
        reply = await self._call(method, **params)
        try:
            return parse(reply)
        except ParseError as exc:
            raise BrokerError(f"unreadable {what}: {exc}") from None

    def _on_user_event(self, event: dict[str, Any]) -> None:
        if self._user is not None:
            self._user.watch.alive()
        try:
            self._apply_user_event(event)
        except ParseError as exc:
            message = f"dropped user data event: {exc}"
            self._report(Severity.WARNING, SafetyKind.BAD_USER_EVENT, message, {})

    # --- reconciliation ---------------------------------------------------------------
    def remember(self, orders: Iterable[Order], fill_keys: Iterable[tuple[str, str]]) -> None:
        """What the journal knows after a restart: these ids are never sent again, and
        fills already booked are never emitted again."""
        orders = list(orders)
        self._tracker.remember(orders, fill_keys)
        self._sent.update(order.client_order_id for order in orders)

    def settle(self, order: Order) -> None:
        """Record and announce a final state decided here (the exchange forgot it)."""
        self._tracker.add(order)
        self._emit([order])

    async def recover_fills(self, order: Order) -> list[Fill]:
        """Fills of `order` from the account's trade history that were never emitted."""
        if not order.exchange_order_id:
            return []
        cid, oid = order.client_order_id, order.exchange_order_id
        fills = await self._read(
            self.calls.trades,
            lambda rows: parse_order_trades(rows, cid, oid),
            "trade history",
            symbol=order.symbol,
            orderId=oid,
        )
        fresh = self._tracker.new_fills(fills)
        self._emit(fresh)
        return fresh

    async def poll(self) -> bool:
        """The REST fallback for a silent user stream: adopt what changed to the orders
        we track and refresh balances. True when something had been missed."""
        differences = await sync_orders(self, self._tracker.open_orders(), self._clock.now())
        await self.balances()
        for difference in differences:
            data = {"client_order_id": difference.client_order_id}
            self._report(difference.severity, SafetyKind.RECONCILIATION, difference.message, data)
        return bool(differences)

    async def _on_resubscribed(self, reason: str) -> None:
        """After a re-subscription events may have been missed: reconcile."""
        message = f"user data re-subscribed after {reason}; reconciling"
        self._report(Severity.WARNING, SafetyKind.USER_STREAM_RESUBSCRIBED, message, {})
        if self.reconnect_hook is not None:
            await self.reconnect_hook(reason)
        else:
            await self.poll()

    def fill_gaps(self) -> list[Order]:
        return self._tracker.fill_gaps()

    def _busy(self) -> bool:
        return bool(self._tracker.open_orders() or self._tracker.fill_gaps())
