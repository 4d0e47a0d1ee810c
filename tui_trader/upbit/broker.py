"""UpbitBroker: spot orders on Upbit (the Broker protocol, execution/broker.py).

Rules it keeps:
- our client order id is Upbit's `identifier`, and an id is sent at most once: a second
  submit of the same id queries instead of sending;
- Upbit's rules are checked locally first (order_rules.py): a violation is REJECTED with
  the reason and nothing is sent;
- no answer, a 5xx, a 429 that stays, an unreadable reply, or a refusal that names the
  identifier (it may exist already): the order is queried by identifier before anything
  else; found → that order; `order_not_found` → REJECTED "not placed"; else BrokerError;
- any other Upbit refusal: REJECTED with Upbit's own words (made printable);
- fills: the private myOrder stream (private_stream.py), when given, is the primary
  source; Upbit's order reply lists its trades, and orders still working are polled by
  identifier (the REST fallback: every `poll_s` while the stream is down, every
  `stream_poll_s` while it is up); stream and polls share one dedup by trade uuid;
- orders someone else placed are adopted from the open-orders list and reported once;
- the stream's myAsset reports are checked against the book once settled
  (execution/balance_watch.py); every reconnection of the stream reconciles."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal
from itertools import count
from typing import Any, TypeVar

from tui_trader.clock import Clock
from tui_trader.domain.enums import OrderStatus, OrderType
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.balance_watch import BalanceCheck, BalanceWatch
from tui_trader.execution.broker import BrokerError, BrokerEvent, NotSent
from tui_trader.execution.client_id_broker import ClientIdBroker
from tui_trader.execution.idempotency import CLIENT_ID_PREFIX
from tui_trader.execution.order_stream import OrderStreamStatus
from tui_trader.upbit.exchange import PAGE, UpbitExchange, UpbitRefused
from tui_trader.upbit.my_asset import MyAssetEvent
from tui_trader.upbit.my_order import MyOrderEvent
from tui_trader.upbit.order_memory import OrderMemory
from tui_trader.upbit.order_rules import RefusedLocally, order_params
from tui_trader.upbit.parse_orders import ParseError, UpbitOrder, parse_balances, parse_order
from tui_trader.upbit.private_stream import MyOrderStream

log = logging.getLogger(__name__)
NOT_FOUND = "order_not_found"
PriceSource = Callable[[str], Decimal | None]
SafetyListener = Callable[[SafetyEvent], None]
T = TypeVar("T")


class UpbitBroker(ClientIdBroker[OrderMemory]):
    name = "upbit"
    venue = "Upbit"
    id_name = "identifier"

    def __init__(
        self,
        exchange: UpbitExchange,
        rules: Mapping[str, SymbolRules],
        *,
        quote: str,
        clock: Clock,
        last_price: PriceSource,
        on_safety: SafetyListener | None = None,
        poll_s: float = 2.0,
        stream: MyOrderStream | None = None,
        stream_poll_s: float = 60.0,
        asset_settle_s: float = 2.0,
    ) -> None:
        super().__init__(OrderMemory(), clock, on_safety)
        self._exchange, self._rules, self._quote = exchange, dict(rules), quote
        self._last_price, self._poll_s = last_price, poll_s
        self._poller: asyncio.Task[None] | None = None
        self._stream, self._stream_poll_s = stream, stream_poll_s
        self._last_poll = 0.0  # loop time of the last poll
        self._assets = BalanceWatch(asset_settle_s)

    async def start(self) -> None:
        """Open the session and start polling the orders that still work."""
        await self._exchange.start()
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_forever(), name="upbit-order-poll")
        if self._stream is not None:
            self._stream.start(self._on_stream, self._stream_up, self._on_asset)

    @property
    def balance_checks(self) -> int:
        """myAsset reports compared with the book so far."""
        return self._assets.checks

    def check_balances_with(self, check: BalanceCheck) -> None:
        """Compare what myAsset reports with the book by `check` (the reconciler's)."""
        self._assets.check_with(check)

    async def submit(self, order: Order) -> Order:
        cid = order.client_order_id
        if cid in self._sent:
            known = self._memory.get(cid)
            if known is not None and not known.is_open:
                return known
            return await self._recover(order, "already sent once")
        try:
            params = self._params(order)
        except RefusedLocally as exc:
            return order.evolve(
                status=OrderStatus.REJECTED,
                reason=f"refused locally: {exc}",
                updated_at=self._clock.now(),
            )
        self._memory.add(order)
        self._sent.add(cid)
        try:
            placed = self._apply(await self._exchange.place(params))
        except NotSent:
            self._sent.discard(cid)  # refused unprocessed (address blocked): may go later
            raise
        except UpbitRefused as exc:
            if "identifier" in f"{exc.name} {exc.message}".lower():
                return await self._recover(order, str(exc))
            return self._reject(order, str(exc))
        except BrokerError as exc:
            return await self._recover(order, str(exc))
        if placed.is_open and placed.order_type is OrderType.MARKET:
            return await self._settled(placed)
        return placed

    async def cancel(self, client_order_id: str) -> Order | None:
        try:
            reply = await self._exchange.cancel(client_order_id)
        except UpbitRefused as exc:
            if exc.name == NOT_FOUND:
                return None
            return await self.query(client_order_id)  # no longer cancellable: how it ended
        cancelling = self._apply(reply)
        return await self._settled(cancelling)

    async def query(self, client_order_id: str) -> Order | None:
        try:
            reply = await self._exchange.order(client_order_id)
        except UpbitRefused as exc:
            if exc.name == NOT_FOUND:
                return None
            raise BrokerError(str(exc)) from None
        return self._apply(reply)

    async def open_orders(self) -> list[Order]:
        """Every waiting order on the account, ours and foreign; one that cannot be read
        is left out (reported once), the others are kept."""
        found: list[Order] = []
        for page in count(1):
            rows = await self._read(self._exchange.open_orders(page))
            if not isinstance(rows, list):
                raise BrokerError(f"unreadable open orders reply: {str(rows)[:120]}")
            for row in rows:
                try:
                    report = parse_order(row)
                except ParseError as exc:
                    self._report_once(str(row)[:80], SafetyKind.UNREADABLE_ORDER, str(exc))
                    continue
                self._take(report)
                known = self._memory.get(report.client_order_id)
                assert known is not None  # apply() always records the order
                found.append(known)
            if len(rows) < PAGE:
                return found
        return found  # unreachable: count() never ends; mypy wants a return

    async def balances(self) -> dict[str, Balance]:
        try:
            self._balances = parse_balances(await self._read(self._exchange.accounts()))
        except ParseError as exc:
            raise BrokerError(str(exc)) from None
        return dict(self._balances)

    async def positions(self) -> dict[str, Position]:
        return {}  # spot: the base asset balance is the position

    def order_streams(self) -> tuple[OrderStreamStatus, ...]:
        """The order stream's up/down state (issue 17); none without a stream."""
        return () if self._stream is None else (self._stream.status,)

    async def close(self) -> None:
        if self._stream is not None:
            await self._stream.close()
        await self._assets.close()
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        await self._exchange.close()

    # --- reconciliation (the ExchangeAccount protocol of execution/reconcile.py) --------
    def remember(self, orders: Iterable[Order], fill_keys: Iterable[tuple[str, str]]) -> None:
        """What the journal knows after a restart: these ids are never sent again, and
        fills already booked (symbol, Upbit trade uuid) are never emitted again."""
        orders = list(orders)
        self._memory.remember(orders, (trade_id for _symbol, trade_id in fill_keys))
        self._sent.update(order.client_order_id for order in orders)

    def settle(self, order: Order) -> None:
        """Record and announce a final state decided here (Upbit does not know it)."""
        self._memory.add(order)
        self._emit([order])

    def fill_gaps(self) -> list[Order]:
        return self._memory.fill_gaps()

    async def recover_fills(self, order: Order) -> list[Fill]:
        """The fills of `order` never emitted: Upbit's order reply lists its trades."""
        try:
            reply = await self._exchange.order(order.client_order_id)
        except UpbitRefused as exc:
            if exc.name == NOT_FOUND:
                return []
            raise BrokerError(str(exc)) from None
        return [event for event in self._take(self._parse(reply)) if isinstance(event, Fill)]

    async def poll_once(self) -> None:
        """Query every order of ours that still works or misses fills (they come with it)."""
        self._last_poll = asyncio.get_running_loop().time()
        for order in self._memory.open_orders() + self._memory.fill_gaps():
            if order.client_order_id.startswith(CLIENT_ID_PREFIX):
                try:
                    await self.query(order.client_order_id)
                except BrokerError as exc:
                    log.warning("polling %s on Upbit: %s", order.client_order_id, exc)

    # --- internals --------------------------------------------------------------------
    def _params(self, order: Order) -> dict[str, str]:
        rules = self._rules.get(order.symbol)
        if rules is None:
            raise RefusedLocally(f"{order.symbol} is not one of this broker's symbols")
        return order_params(order, rules, self._quote, self._last_price(order.symbol))

    async def _poll_forever(self) -> None:
        # While the stream is up, polling goes on at `stream_poll_s`, not at all: myOrder
        # never replays, and a subscription that stays connected (PINGs answered) yet
        # stops telling our events would otherwise starve fills for good. The slow pace
        # bounds that loss and costs a query per working order a minute; while the
        # stream is down or refused, every `poll_s` as before it existed.
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._poll_s)
            streaming = self._stream is not None and self._stream.up
            if streaming and loop.time() - self._last_poll < self._stream_poll_s:
                continue
            try:
                await self.poll_once()
            except Exception as exc:  # a bug here must not end the polling unheard
                log.exception("Upbit order polling failed")
                self._report_once("poll", SafetyKind.WORKER_FAILED, f"Upbit polling: {exc!r}")

    async def _stream_up(self) -> None:
        """The stream is (again) listening: poll what works, then reconcile if it was a
        reconnection (what changed while it was down is not replayed)."""
        await self.poll_once()
        await self._stream_connected("private stream")

    def _on_asset(self, event: MyAssetEvent) -> None:
        self._assets.report(event.balances)

    def _on_stream(self, event: MyOrderEvent) -> None:
        """One myOrder event: the order moves on as a polled reply would move it, and a
        trade not booked yet (by a poll or an earlier copy) becomes its fill."""
        self._take(event.report)
        if event.fill is not None and self._memory.book(event.fill):
            self._emit([event.fill])

    def _apply(self, reply: Any) -> Order:
        report = self._parse(reply)
        self._take(report)
        order = self._memory.get(report.client_order_id)
        assert order is not None  # apply() always records the order
        return order

    @staticmethod
    def _parse(reply: Any) -> UpbitOrder:
        try:
            return parse_order(reply)
        except ParseError as exc:
            raise BrokerError(f"unreadable order reply from Upbit: {exc}") from None

    def _take(self, report: UpbitOrder) -> list[BrokerEvent]:
        """Apply `report`, announce what is new and return it. An order first seen here
        that we did not place is reported once as foreign."""
        cid = report.client_order_id
        if self._memory.get(cid) is None and not cid.startswith(CLIENT_ID_PREFIX):
            what = f"{report.ord_type} {report.side} {report.symbol} ({cid})"
            self._report_once(cid, SafetyKind.FOREIGN_ORDER, f"foreign order on Upbit: {what}")
        events = self._memory.apply(report)
        self._emit(events)
        return events

    async def _read(self, call: Awaitable[T]) -> T:
        """A read whose refusal is a failure to read, not a rejected order."""
        try:
            return await call
        except UpbitRefused as exc:
            raise BrokerError(str(exc)) from None
