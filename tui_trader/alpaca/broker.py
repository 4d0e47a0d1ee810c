"""AlpacaBroker: US stock orders on Alpaca (the Broker protocol, execution/broker.py; the
ExchangeAccount protocol of execution/reconcile.py; GuardVenue for stops Alpaca holds).

Rules it keeps (as UpbitBroker does):
- our client order id is Alpaca's `client_order_id`, and an id is sent at most once: a
  second submit of the same id queries instead of sending;
- Alpaca's rules and ours (order_rules.py: tick, fractional, $1, market hours, PDT) are
  checked locally first: a violation is REJECTED with the reason and nothing is sent;
- with `entry_exits`, an entry in whole shares goes as a bracket: its stop and
  take-profit are held by Alpaca from the fill on (bracket_entry.py);
- no answer, a 5xx, a 429 that stays, an unreadable reply, or Alpaca's "client_order_id
  must be unique": the order is queried by client_order_id before anything else;
  found → that order; 404 → REJECTED "not placed"; else BrokerError (outcome unknown);
- any other Alpaca refusal: REJECTED with Alpaca's own words (made printable);
- fills: the trade_updates stream (trade_stream.py) is the primary source; orders still
  working are polled by client_order_id (every `poll_s` while the stream is down, every
  `stream_poll_s` while it is up); both book a fill once (order_memory.py);
- orders someone else placed are adopted from the open-orders list and reported once;
- an exit asked for while the market is closed is not sent: it is held for the next
  regular open (exit_queue.py: why locally, how a restart keeps it; queued_exits.py),
  answered NEW with the reason "queued for the open at <UTC time>", and the protective
  stops stay; at the open the engine sends it (SendQueued), freeing the shares first as
  any sell does. An entry while closed is refused, with the reason."""

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_trader.alpaca.bracket_entry import EntryExits, order_body
from tui_trader.alpaca.day_trades import DayTradeBook
from tui_trader.alpaca.fee_activities import FeeReader
from tui_trader.alpaca.guard_calls import GuardCalls
from tui_trader.alpaca.guards import GuardBook
from tui_trader.alpaca.order_memory import OrderMemory
from tui_trader.alpaca.order_poll import OrderPoll
from tui_trader.alpaca.order_rules import AssetRules, MarketOpen, RefusedLocally
from tui_trader.alpaca.parse_orders import AlpacaOrder, ParseError, parse_balances, parse_order
from tui_trader.alpaca.queued_exits import NextOpen, QueuedExits
from tui_trader.alpaca.trade_stream import TradeUpdate, TradeUpdateStream
from tui_trader.alpaca.trading_api import AlpacaRefused, AlpacaTrading
from tui_trader.clock import Clock
from tui_trader.domain.enums import OrderStatus, OrderType, Side
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.guards import GuardKind, GuardOrder, is_guard_id
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.execution.broker import (
    BrokerError,
    BrokerEvent,
    GuardListener,
    NotSent,
)
from tui_trader.execution.client_id_broker import ClientIdBroker
from tui_trader.execution.idempotency import CLIENT_ID_PREFIX
from tui_trader.execution.order_stream import OrderStreamStatus

log = logging.getLogger(__name__)
NOT_UNIQUE = 40010001  # "client_order_id must be unique"
PriceSource = Callable[[str], Decimal | None]
SafetyListener = Callable[[SafetyEvent], None]


class AlpacaBroker(ClientIdBroker[OrderMemory]):
    name = "alpaca"
    venue = "Alpaca"
    id_name = "client_order_id"

    def __init__(
        self,
        api: AlpacaTrading,
        assets: Mapping[str, AssetRules],
        *,
        clock: Clock,
        is_open: MarketOpen,
        last_price: PriceSource,
        on_safety: SafetyListener | None = None,
        poll_s: float = 2.0,
        stream: TradeUpdateStream | None = None,
        stream_poll_s: float = 60.0,
        entry_exits: EntryExits | None = None,
        next_open: NextOpen | None = None,
        queue_check_s: float = 1.0,
    ) -> None:
        super().__init__(OrderMemory(), clock, on_safety)
        # Exits held for the next open (none without a calendar: then refused as before).
        self._exits = QueuedExits(
            clock, is_open, next_open, check=lambda order: self._body(order, any_session=True),
            fetch=self._fetch, adopt=self._adopt_sent, on_safety=on_safety, check_s=queue_check_s,
        )  # fmt: skip
        self._guards_read = False  # Alpaca's open guards read once (after a restart)
        self._api, self._assets = api, dict(assets)
        self._is_open, self._last_price = is_open, last_price
        self._stream, self._entry_exits = stream, entry_exits
        self._guards, self.day_trades = GuardBook(), DayTradeBook()
        self._guard_calls = GuardCalls(api, self._assets, self._guards)
        self.fees = FeeReader(api)  # regulatory fees: charged apart from the fills
        self._poll = OrderPoll(
            self.poll_once,
            lambda: stream is not None and stream.up,
            poll_s=poll_s,
            stream_poll_s=stream_poll_s,
            on_failure=self._poll_failed,
        )

    async def start(self) -> None:
        """Open the client, read the account (day trades), start polling and the stream."""
        await self._api.start()
        await self.balances()
        self._poll.start()
        if self._stream is not None:
            self._stream.start(self._on_update, self._stream_up)
        self._exits.start()

    async def submit(self, order: Order) -> Order:
        """Place `order` (module docstring); a sell first cancels our guards on its symbol,
        which hold the shares it sells (Alpaca holds a share for one sell at a time)."""
        cid = order.client_order_id
        held = self._exits.get(cid)
        if held is not None:  # asked for again while held: still held, nothing sent
            return held.order
        if cid in self._sent:
            known = self._memory.get(cid)
            if known is not None and not known.is_open:
                return known
            return await self._recover(order, "already sent once")
        found = await self._exits.sent_before_crash(order)  # restored: sent before a crash?
        if found is not None:
            return found
        if self._exits.wanted(order):
            return self._exits.hold(order)
        try:
            body = self._body(order)
        except RefusedLocally as exc:
            reason = f"refused locally: {exc}"
            return order.evolve(
                status=OrderStatus.REJECTED, reason=reason, updated_at=self._clock.now()
            )
        if order.side is Side.SELL:
            try:
                if not self._guards_read:  # just started: which guards hold the shares?
                    await self.open_guards()
                await self._guard_calls.clear(order.symbol)
            except BrokerError as exc:
                raise NotSent(f"not sent: cannot free the shares our stops hold ({exc})") from None
        self._memory.add(order)
        self._sent.add(cid)
        try:
            placed = self._apply(await self._api.place(body))
        except NotSent:
            self._sent.discard(cid)
            raise
        except AlpacaRefused as exc:
            if exc.code == NOT_UNIQUE:
                return await self._recover(order, str(exc))
            return self._reject(order, str(exc))
        except BrokerError as exc:
            return await self._recover(order, str(exc))
        if placed.is_open and placed.order_type is OrderType.MARKET:
            return await self._settled(placed)
        return placed

    async def cancel(self, client_order_id: str) -> Order | None:
        held = self._exits.get(client_order_id)
        if held is not None and held.restored:  # it may have gone before a crash
            await self.query(client_order_id)
        cancelled = self._exits.cancel(client_order_id)
        if cancelled is not None:
            return cancelled
        known = self._memory.get(client_order_id)
        if known is None or not known.exchange_order_id:
            known = await self.query(client_order_id)
        if known is None or not known.is_open:
            return None  # no such open order
        try:
            await self._api.cancel(known.exchange_order_id)
        except AlpacaRefused as exc:
            if exc.status == 404:
                return None
        return await self._settled(known)  # cancelled, or how it ended meanwhile

    async def query(self, client_order_id: str) -> Order | None:
        held = self._exits.get(client_order_id)
        if held is not None and not held.restored:
            return held.order  # held here: Alpaca has never seen it
        report = await self._fetch(client_order_id)
        if held is not None:  # restored after a restart: was it sent before the crash?
            if report is None:
                held.restored = False  # no: held, and sent at the open
                return held.order
            self._exits.forget(client_order_id)  # yes: Alpaca's now, no longer held
            return self._adopt_sent(held.order, report)
        return None if report is None else self._take_report(report)

    async def open_orders(self) -> list[Order]:
        """Every working order on the account, ours and foreign (guards apart: GuardVenue)."""
        found: list[Order] = []
        for model in await self._api.open_orders():
            try:
                report = parse_order(model)
            except ParseError as exc:
                self._report_once(str(model)[:80], SafetyKind.UNREADABLE_ORDER, str(exc))
                continue
            if is_guard_id(report.client_order_id) or report.status.is_final:
                self._guards.learn(report)  # a guard, or a filled bracket entry's legs
                continue
            found.append(self._take_report(report))
        return found

    async def balances(self) -> dict[str, Balance]:
        account = await self._api.account()
        positions = await self._api.positions()
        try:
            balances = parse_balances(account, positions)
            count, margin = int(account.daytrade_count or 0), Decimal(account.multiplier or 1) > 1
            self.day_trades.account_read(count, margin, Decimal(str(account.equity or 0)))
        except (ParseError, ArithmeticError, ValueError) as exc:
            raise BrokerError(f"unreadable Alpaca account: {exc}") from None
        self._balances = balances
        return dict(balances)

    async def positions(self) -> dict[str, Position]:
        return {}  # stocks are held like spot assets: balances under their tickers

    def order_streams(self) -> tuple[OrderStreamStatus, ...]:
        """The order stream's up/down state (issue 17); none without a stream."""
        return () if self._stream is None else (self._stream.status,)

    async def close(self) -> None:
        if self._stream is not None:
            await self._stream.close()
        await self._poll.close()
        await self._exits.close()
        await self._api.close()

    # --- reconciliation (ExchangeAccount) ---------------------------------------------
    def remember(self, orders: Iterable[Order], fill_keys: Iterable[tuple[str, str]]) -> None:
        """What the journal knows after a restart: these ids are never sent again, and
        fills already booked are never emitted again."""
        orders = [o for o in orders if o.client_order_id not in self._exits]  # never sent
        self._memory.remember(orders, (trade_id for _symbol, trade_id in fill_keys))
        self._sent.update(order.client_order_id for order in orders)

    def settle(self, order: Order) -> None:
        self._memory.add(order)
        self._emit([order])

    def fill_gaps(self) -> list[Order]:
        return self._memory.fill_gaps()

    async def recover_fills(self, order: Order) -> list[Fill]:
        report = await self._fetch(order.client_order_id)
        if report is None:
            return []
        return [e for e in self._take(report) if isinstance(e, Fill)]

    async def poll_once(self) -> None:
        """Query every order of ours still working or missing fills."""
        self._poll.polled()
        for order in self._memory.open_orders() + self._memory.fill_gaps():
            if order.client_order_id.startswith(CLIENT_ID_PREFIX):
                try:
                    await self.query(order.client_order_id)
                except BrokerError as exc:
                    log.warning("polling %s on Alpaca: %s", order.client_order_id, exc)

    # --- exits held for the open (QueuingVenue: queued_exits.py) --------------------
    def queued(self) -> list[Order]:
        return self._exits.queued()

    def release(self, client_order_id: str) -> Order | None:
        return self._exits.release(client_order_id)

    def send_queued_through(self, send: Callable[[str], None]) -> None:
        self._exits.send_through(send)

    def restore_queued(self, orders: Iterable[Order]) -> list[Order]:
        return self._exits.restore(orders)

    # --- guards (GuardVenue: guard_calls.py) -----------------------------------------
    def guard_kinds(self, symbol: str) -> frozenset[GuardKind]:
        return self._guard_calls.kinds(symbol)

    def subscribe_guards(self, listener: GuardListener) -> None:
        self._guards.subscribe(listener)

    async def place_guard(self, guard: GuardOrder) -> GuardOrder:
        return await self._guard_calls.place(guard)

    async def cancel_guard(self, guard: GuardOrder) -> GuardOrder | None:
        return await self._guard_calls.cancel(guard)

    async def open_guards(self) -> list[GuardOrder]:
        guards = await self._guard_calls.open()
        self._guards_read = True
        return guards

    async def recover_fired_guards(
        self, since: datetime, booked: set[tuple[str, str]]
    ) -> list[Fill]:
        """Book what our guards did while nobody listened (fills not `booked`)."""
        self._memory.remember([], (trade_id for _symbol, trade_id in booked))
        fresh: list[Fill] = []
        for part in await self._guard_calls.fired_since(since):
            fresh += [e for e in self._take(part) if isinstance(e, Fill)]
        return fresh

    # --- internals --------------------------------------------------------------------
    def _body(self, order: Order, any_session: bool = False) -> dict[str, Any]:
        """The order's body; `any_session`: every rule but the market's hours (an exit
        about to be held for the open is checked against the rest now)."""
        asset = self._assets.get(order.symbol)
        if asset is None:
            raise RefusedLocally(f"{order.symbol} is not one of this broker's symbols")
        now = self._clock.now()
        return order_body(
            order,
            asset,
            self._entry_exits,
            now=now,
            is_open=(lambda _t: True) if any_session else self._is_open,
            day_trades=self.day_trades.standing(now),
            last_price=self._last_price(order.symbol),
        )

    async def _fetch(self, client_order_id: str) -> AlpacaOrder | None:
        try:
            model = await self._api.order_by_client_id(client_order_id)
        except AlpacaRefused as exc:
            if exc.status == 404:
                return None
            raise BrokerError(str(exc)) from None
        return self._parse(model)

    def _poll_failed(self, exc: Exception) -> None:
        log.error("Alpaca order polling failed", exc_info=exc)
        self._report_once("poll", SafetyKind.WORKER_FAILED, f"Alpaca polling: {exc!r}")

    async def _stream_up(self) -> None:
        """The stream is (again) listening: poll what works, then reconcile if it was
        a reconnection."""
        await self.poll_once()
        await self._stream_connected("trade updates")

    def _on_update(self, update: TradeUpdate) -> None:
        self._take(update.report, update.execution)

    def _apply(self, model: Any) -> Order:
        return self._take_report(self._parse(model))

    def _adopt_sent(self, order: Order, report: AlpacaOrder) -> Order:
        """A held exit Alpaca has after all (sent before a crash): ours as Alpaca has it."""
        self._memory.add(order)
        self._sent.add(order.client_order_id)
        return self._take_report(report)

    def _take_report(self, report: AlpacaOrder) -> Order:
        self._take(report)
        order = self._memory.get(report.client_order_id)
        if order is None:  # a guard's part: its order is not the book's
            return report.to_order(None)
        return order

    @staticmethod
    def _parse(model: Any) -> AlpacaOrder:
        try:
            return parse_order(model)
        except ParseError as exc:
            raise BrokerError(f"unreadable order reply from Alpaca: {exc}") from None

    def _take(
        self, report: AlpacaOrder, execution: tuple[Decimal, Decimal, datetime] | None = None
    ) -> list[BrokerEvent]:
        """Apply `report`, announce what is new and return it. A guard's part books its
        fills under the guard's leg id and moves the guard; an order first seen here that
        we did not place is reported once as foreign."""
        fill_id = self._guards.fill_id(report)
        if fill_id is not None:
            events = self._memory.apply(report, execution, client_id=fill_id)
            self._guards.on_report(report, fill_id)
        else:
            cid = report.client_order_id
            if self._memory.get(cid) is None and not cid.startswith(CLIENT_ID_PREFIX):
                what = f"{report.label} {report.side} {report.symbol} ({cid})"
                self._report_once(cid, SafetyKind.FOREIGN_ORDER, f"foreign order on Alpaca: {what}")
            events = self._memory.apply(report, execution)
            self._guards.on_entry(report)  # a bracket entry's legs: its guard
        for event in events:
            if isinstance(event, Fill):
                self.day_trades.on_fill(event)
        self._emit(events)
        return events
