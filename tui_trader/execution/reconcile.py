"""Reconciliation: make what the trader believes agree with what the venue holds.

Runs on start (after a crash the journal may be behind the exchange), after every
user-data reconnect (events may have been missed meanwhile), and when a venue's own
balance report disagrees with the book (Upbit's myAsset: `check_reported`). Orders and fills are
adopted: the broker emits the exchange's view to its listeners, fills missed by the
stream come from the account's trade history, and every difference becomes a
"reconciliation" safety event. Balances and futures positions cannot be adopted into a
fill-driven portfolio, so differences there are recorded, and those that could make the
trader over-trade (less on the exchange than believed, unknown exposure) keep new
entries blocked until a later reconciliation finds everything in agreement."""

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from tui_trader.clock import Clock
from tui_trader.domain.enums import OrderStatus, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.execution.broker import BrokerError
from tui_trader.safety.trading_state import HoldReason, TradingMode, TradingState

log = logging.getLogger(__name__)
SOURCE = "reconciliation"  # who holds the trading state while reconciling
Charges = Callable[[], Awaitable[object]]  # books the venue's charges read anew


class ExchangeAccount(Protocol):
    """What a venue's broker offers for reconciliation (Binance spot and futures, Upbit, Alpaca)."""

    name: str
    venue: str  # how messages name the venue: Binance, Upbit, Alpaca

    def remember(self, orders: Iterable[Order], fill_keys: Iterable[tuple[str, str]]) -> None: ...

    async def open_orders(self) -> list[Order]: ...

    async def query(self, client_order_id: str) -> Order | None: ...

    async def recover_fills(self, order: Order) -> list[Fill]: ...

    def fill_gaps(self) -> list[Order]: ...

    def settle(self, order: Order) -> None: ...

    async def balances(self) -> dict[str, Balance]: ...

    async def positions(self) -> dict[str, Position]: ...


class TraderBook(Protocol):
    """What the trader believes. It learns the exchange's view through the broker's
    listeners, so reading it again after adoption shows the adopted state."""

    def open_orders(self) -> list[Order]: ...

    def balances(self) -> dict[str, Balance]: ...

    def positions(self) -> dict[str, Position]: ...

    async def fill_keys(self) -> set[tuple[str, str]]:
        """(symbol, trade id) of every fill already booked."""


@dataclass(frozen=True, slots=True)
class Difference:
    severity: Severity
    message: str
    client_order_id: str = ""
    symbol: str = ""
    blocking: bool = False  # entries must stay blocked while this stands


@dataclass(frozen=True, slots=True)
class Reconciliation:
    differences: tuple[Difference, ...]
    balances: dict[str, Balance] = field(default_factory=dict)  # the exchange's
    positions: dict[str, Position] = field(default_factory=dict)  # the exchange's (futures)

    @property
    def block_entries(self) -> bool:
        return any(d.blocking for d in self.differences)

    def events(self, now: datetime) -> list[SafetyEvent]:
        return [
            SafetyEvent(
                now,
                d.severity,
                SafetyKind.RECONCILIATION,
                d.message,
                d.symbol,
                {"client_order_id": d.client_order_id, "blocking": d.blocking},
            )
            for d in self.differences
        ]


def _describe(order: Order) -> str:
    price = f" @ {order.price}" if order.price is not None else ""
    return f"{order.side} {order.quantity} {order.symbol}{price} ({order.client_order_id})"


async def sync_orders(
    account: ExchangeAccount, believed: Sequence[Order], now: datetime
) -> list[Difference]:
    """Adopt the exchange's state of every order in `believed` (which were open) and of
    every open order the trader does not know; then recover, from the account's trade
    history, the fills of every order that is filled further than its fills seen."""
    found = {order.client_order_id: order for order in await account.open_orders()}
    differences: list[Difference] = []
    for order in believed:
        current = found.pop(order.client_order_id, None)
        if current is None:
            current = await account.query(order.client_order_id)
        if current is None:
            # Acknowledged once, unknown now: Binance archives old cancelled orders.
            gone = order.evolve(
                status=OrderStatus.CANCELED,
                updated_at=now,
                reason=f"unknown to {account.venue} at reconciliation",
            )
            account.settle(gone)
            message = f"{_describe(order)} is unknown to {account.name}; recorded as cancelled"
            differences.append(
                Difference(Severity.CRITICAL, message, order.client_order_id, order.symbol)
            )
        elif current.status is not order.status or current.filled_quantity != order.filled_quantity:
            message = (
                f"{order.client_order_id}: {order.status} filled {order.filled_quantity} here, "
                f"{current.status} filled {current.filled_quantity} on {account.name}; adopted"
            )
            differences.append(
                Difference(Severity.INFO, message, order.client_order_id, order.symbol)
            )
    for current in found.values():
        message = f"{_describe(current)} is open on {account.name} but unknown here; adopted"
        differences.append(
            Difference(Severity.WARNING, message, current.client_order_id, current.symbol)
        )
    for order in account.fill_gaps():
        differences += await _recover(account, order)
    return differences


async def _recover(account: ExchangeAccount, order: Order) -> list[Difference]:
    fills = await account.recover_fills(order)
    if not fills:
        return []
    quantity = sum((fill.quantity for fill in fills), Decimal(0))
    message = (
        f"{order.client_order_id}: {len(fills)} fill(s) of {quantity} {order.symbol} "
        "missed by the user data stream, recovered from trade history"
    )
    return [Difference(Severity.WARNING, message, order.client_order_id, order.symbol)]


def compare_balances(
    believed: Mapping[str, Balance], actual: Mapping[str, Balance], tolerance: Decimal
) -> list[Difference]:
    """Differences per asset the trader holds. Less on the exchange than believed blocks
    entries (the trader could spend what is not there); more is only recorded."""
    differences = []
    for asset in sorted(believed):
        want = believed[asset].total
        have = actual[asset].total if asset in actual else Decimal(0)
        if abs(have - want) <= tolerance:
            continue
        message = f"{asset}: exchange holds {have}, the trader believes {want} ({have - want:+})"
        differences.append(Difference(Severity.CRITICAL, message, blocking=have < want))
    return differences


def compare_positions(
    believed: Mapping[str, Position], actual: Mapping[str, Position]
) -> list[Difference]:
    """Futures positions must agree exactly: any other exposure is unknown risk."""
    differences = []
    for symbol in sorted(set(believed) | set(actual)):
        want = believed[symbol].quantity if symbol in believed else Decimal(0)
        have = actual[symbol].quantity if symbol in actual else Decimal(0)
        if have != want:
            message = f"{symbol}: exchange position {have}, the trader believes {want}"
            differences.append(Difference(Severity.CRITICAL, message, symbol=symbol, blocking=True))
    return differences


async def reconcile(
    account: ExchangeAccount,
    book: TraderBook,
    *,
    now: datetime,
    tolerance: Decimal,
    charges: Charges | None = None,
) -> Reconciliation:
    """Orders and fills first (adopting them changes the book), then the venue's charges
    outside fills (`charges` books them: Alpaca's fees), then balances and positions
    against the book as it stands afterwards. A failed request leaves a blocking
    difference: nothing is known for sure."""
    try:
        believed = book.open_orders()
        account.remember(believed, await book.fill_keys())
        differences = await sync_orders(account, believed, now)
        if charges is not None:
            await charges()
        balances = await account.balances()
        differences += compare_balances(book.balances(), balances, tolerance)
        positions = await account.positions()
        differences += compare_positions(book.positions(), positions)
    except BrokerError as exc:
        message = f"reconciliation with {account.name} failed: {exc}"
        return Reconciliation((Difference(Severity.CRITICAL, message, blocking=True),))
    return Reconciliation(tuple(differences), balances, positions)


class Reconciler:
    """Runs `reconcile` and tells the trader: entries blocked while it runs, and still
    blocked afterwards when a difference says so; every difference as a safety event."""

    def __init__(
        self,
        account: ExchangeAccount,
        book: TraderBook,
        *,
        clock: Clock,
        on_safety: Callable[[SafetyEvent], None],
        trading: TradingState,
        tolerance: Decimal = Decimal(0),
        charges: Charges | None = None,
    ) -> None:
        self._account, self._book, self._clock = account, book, clock
        self._on_safety, self._trading = on_safety, trading
        self._tolerance, self._charges = tolerance, charges
        self.last: Reconciliation | None = None

    async def __call__(self, reason: str) -> Reconciliation:
        """Entries are held while it runs (REDUCING: reconciling), and afterwards for
        as long as a blocking difference stands (REDUCING: exchange disagrees)."""
        detail = f"with {self._account.name} ({reason})"
        self._trading.hold(HoldReason.RECONCILING, TradingMode.REDUCING, detail, SOURCE)
        result = Reconciliation((Difference(Severity.CRITICAL, "interrupted", blocking=True),))
        try:
            result = await reconcile(
                self._account,
                self._book,
                now=self._clock.now(),
                tolerance=self._tolerance,
                charges=self._charges,
            )
        finally:
            self.last = result
            self._hold_for(result)
        for event in result.events(self._clock.now()):
            self._on_safety(event)
        if not result.differences:
            log.info("reconciled with %s after %s: no differences", self._account.name, reason)
        return result

    async def check_reported(self, reported: Mapping[str, Balance], source: str) -> bool:
        """Balances the venue told on its own (a stream), compared with the book: a
        difference beyond the tolerance reconciles at once. True if it did."""
        believed = {a: b for a, b in self._book.balances().items() if a in reported}
        differences = compare_balances(believed, reported, self._tolerance)
        if not differences:
            return False
        await self(f"{source}: {differences[0].message}")
        return True

    def _hold_for(self, result: Reconciliation) -> None:
        blocking = "; ".join(d.message for d in result.differences if d.blocking)
        if blocking:
            self._trading.hold(
                HoldReason.EXCHANGE_DISAGREES, TradingMode.REDUCING, blocking, SOURCE
            )
        else:
            self._trading.release(HoldReason.EXCHANGE_DISAGREES, SOURCE)
        self._trading.release(HoldReason.RECONCILING, SOURCE)
