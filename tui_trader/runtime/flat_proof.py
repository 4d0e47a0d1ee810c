"""After a kill that closes positions, prove the account flat on the venue itself.

The kill cancels every open order on the traded symbols and sends reduce-only closes;
the exchange's stops (guards) go once their positions are closed.
That the orders were *sent* proves nothing: a close can be rejected, a cancel can race a
fill, a foreign order can sit on the book. So the venue is read back (REST on Binance,
the paper exchange in paper mode) until it shows no open order and no position on the
traded symbols, retrying the cancels and closes for what remains, or until a deadline.
The verdict is a safety event: FLAT_VERIFIED (with the time), or NOT_FLAT (CRITICAL,
naming what remains), which the notifier sends on and `tui-trader status` shows.

A venue with market hours (Alpaca) holds the kill's closes while its market is closed
(alpaca/exit_queue.py): the positions stay, protected by the stops the venue holds,
and nothing more can be done before the open. When every position left has its close
queued (and no order is still working), the proof says so at once — FLAT PENDING, with
the time of the open, a NOT_FLAT event of severity WARNING (not CRITICAL: nothing is
wrong, and `tui-trader status` shows it as the last verdict) — then waits without reading the venue
until those closes have been sent, and proves the account flat after the open."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.clock import Clock
from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.guards import GuardOrder
from tui_trader.domain.orders import Order
from tui_trader.execution.broker import Broker, GuardVenue, QueuingVenue

log = logging.getLogger("tui_trader.runtime.flat_proof")

DEADLINE_S = 60.0  # a market close fills in well under a second; a minute is generous
EVERY_S = 2.0


@dataclass(frozen=True, slots=True)
class VenueBook:
    """What the venue holds on the traded symbols."""

    orders: tuple[Order, ...]  # open orders
    positions: tuple[tuple[str, Decimal], ...]  # (symbol, signed quantity), non-zero only
    guards: tuple[GuardOrder, ...] = ()  # the exchange's stops still working
    queued: tuple[Order, ...] = ()  # closes held for the market's next open

    @property
    def flat(self) -> bool:
        return not self.orders and not self.positions and not self.guards

    @property
    def waits_for_open(self) -> bool:
        """Every position left has its close queued for the open, nothing else works."""
        closing = {o.symbol for o in self.queued}
        return (
            bool(self.positions)
            and not self.orders
            and all(symbol in closing for symbol, _ in self.positions)
        )

    def describe(self) -> str:
        held = [f"{symbol} {qty.normalize():f}" for symbol, qty in self.positions]
        orders = [f"order {o.client_order_id} ({o.symbol} {o.side})" for o in self.orders]
        queued = [
            f"close {o.client_order_id} ({o.symbol} {o.side} {o.quantity.normalize():f}) "
            + o.reason.split(" (")[0]
            for o in self.queued
        ]
        guards = [f"exchange {g.kind.label} {g.client_id} ({g.symbol})" for g in self.guards]
        return ", ".join(held + orders + queued + guards)


@dataclass(frozen=True, slots=True)
class FlatVerdict:
    flat: bool
    at: datetime
    remains: str = ""  # what is still open when not flat
    pending: bool = False  # not flat yet: the closes wait for the market's open

    def text(self) -> str:
        if self.flat:
            return f"FLAT (verified {self.at:%H:%M:%S})"
        if self.pending:
            return f"FLAT PENDING, market closed: {self.remains}"
        return f"NOT FLAT: {self.remains}"


ReadBook = Callable[[], Awaitable[VenueBook]]
Retry = Callable[[VenueBook], None]
Queued = Callable[[], Sequence[Order]]


async def prove_flat(
    read: ReadBook,
    retry: Retry,
    clock: Clock,
    *,
    deadline_s: float = DEADLINE_S,
    every_s: float = EVERY_S,
) -> FlatVerdict:
    """Read the venue until it is flat or `deadline_s` passed; between reads, `retry`
    cancels and closes what remains. A venue that cannot be read counts as not flat."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while True:
        await asyncio.sleep(every_s)  # the kill's cancels and closes go out first
        try:
            book: VenueBook | None = await read()
            remains = book.describe() if book is not None else ""
        except Exception as exc:  # a REST failure is an answer too: not verified
            book, remains = None, f"the venue could not be read ({exc})"
        if book is not None and book.flat:
            return FlatVerdict(True, clock.now())
        if book is not None and book.waits_for_open:
            return FlatVerdict(False, clock.now(), remains, pending=True)
        if loop.time() >= deadline:
            return FlatVerdict(False, clock.now(), remains)
        if book is not None:
            retry(book)


class FlatProof:
    """Runs one proof at a time for the trader and keeps the latest verdict."""

    def __init__(
        self,
        read: ReadBook,
        retry: Retry,
        record: Callable[[SafetyEvent], None],
        clock: Clock,
        *,
        deadline_s: float = DEADLINE_S,
        every_s: float = EVERY_S,
        queued: Queued = lambda: (),
        account: Callable[[], str] = lambda: "",
    ) -> None:
        self._read, self._retry, self._record, self._clock = read, retry, record, clock
        self._queued, self._account = queued, account
        self._deadline_s, self._every_s = deadline_s, every_s
        self._task: asyncio.Task[None] | None = None
        self.verdict: FlatVerdict | None = None
        self.running = False

    def status(self) -> str:
        """For the header: empty until a kill closes positions."""
        if self.running:
            return "verifying flat…"
        return self.verdict.text() if self.verdict is not None else ""

    @property
    def pending(self) -> bool:
        """Waiting for the market's open to send the kill's closes (not `running`: the
        kill may be cleared meanwhile; the queued closes then stay queued)."""
        return self.verdict is not None and self.verdict.pending

    def begin(self) -> None:
        """Start (or restart) the proof; called once the kill's closes were submitted."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.verdict, self.running = None, True
        self._task = asyncio.get_running_loop().create_task(self._run(), name="flat-proof")

    def abandon(self) -> bool:
        """Stop a proof in progress (its kill was cleared): no more cancels or closes.
        True when one was running."""
        if self._task is None or self._task.done():
            return False
        self._task.cancel()
        self.running = False
        return True

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            self.running = True
            try:
                verdict = await prove_flat(
                    self._read,
                    self._retry,
                    self._clock,
                    deadline_s=self._deadline_s,
                    every_s=self._every_s,
                )
            finally:
                self.running = False
            self.verdict = verdict
            if not verdict.pending:
                break
            self._record(
                SafetyEvent(
                    verdict.at,
                    Severity.WARNING,  # not flat yet, and nothing is wrong
                    SafetyKind.NOT_FLAT,
                    f"after the kill: {verdict.text()}{self._on()}; the stops the exchange "
                    "holds stay until then, and the account is proven flat after the open",
                    data={"flat": False, "pending": True, "remains": verdict.remains},
                )
            )
            # The broker's own list, no I/O; it has no event to wait on.
            while self._queued():  # noqa: ASYNC110
                await asyncio.sleep(self._every_s)
        if verdict.flat:
            event = SafetyEvent(
                verdict.at,
                Severity.INFO,
                SafetyKind.FLAT_VERIFIED,
                f"after the kill: {verdict.text()}{self._on()}",
                data={"flat": True},
            )
        else:
            event = SafetyEvent(
                verdict.at,
                Severity.CRITICAL,
                SafetyKind.NOT_FLAT,
                f"after the kill: {verdict.text()}{self._on()}",
                data={"flat": False, "remains": verdict.remains},
            )
        self._record(event)

    def _on(self) -> str:
        """Which account the verdict is about: after a restart with the kill in force
        the paper account is read until live mode links the venue's again."""
        account = self._account()
        return f" on the {account} account" if account else ""


async def venue_book(broker: Broker, core: TradingCore) -> VenueBook:
    """The venue's open orders and positions on the traded symbols. The trader's own open
    positions count too: on spot the venue reports none (the base balance is the
    position). A remainder below the symbol's step size is dust nobody can close."""
    parts = core.parts
    symbols = set(parts.market.symbols)
    orders = tuple(o for o in await broker.open_orders() if o.symbol in symbols)
    held = {s: p.quantity for s, p in (await broker.positions()).items() if s in symbols}
    for symbol, position in parts.portfolio.positions.items():
        if position.is_open:
            held.setdefault(symbol, position.quantity)
    rules = parts.rules
    positions = tuple(
        (s, q) for s, q in sorted(held.items()) if s not in rules or abs(q) >= rules[s].step_size
    )
    guards = tuple(await broker.open_guards()) if isinstance(broker, GuardVenue) else ()
    return VenueBook(orders, positions, guards, queued_closes(broker, symbols))


def queued_closes(broker: Broker, symbols: set[str] | None = None) -> tuple[Order, ...]:
    """The exits `broker` holds for its market's next open (none on a 24/7 venue)."""
    if not isinstance(broker, QueuingVenue):
        return ()
    return tuple(o for o in broker.queued() if symbols is None or o.symbol in symbols)
