"""Funding settlements from Binance's income history (GET /fapi/v1/income), their one
source: the ACCOUNT_UPDATE of a settlement carries no id and is lost while the user
stream is down, while the income record has its id (tranId) and stays readable (for
three months). `read_funding` pages through the history, `FundingLedger` is what the
broker knows of it, and `FundingReader` keeps it up to date in the background."""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from decimal import Decimal

from tui_trader.binance.aio import cancel_and_wait
from tui_trader.binance.caller import Reporter
from tui_trader.clock import dt_to_ms
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.portfolio import FundingFee
from tui_trader.execution.broker import BrokerError

INCOME_PAGE = 1000  # rows per request: Binance's maximum
# startTime (epoch ms), limit → the page's funding settlements and its number of rows
PageReader = Callable[[int, int], Awaitable[tuple[list[FundingFee], int]]]


async def read_funding(read_page: PageReader, since: datetime) -> list[FundingFee]:
    """Every settlement at or after `since`, oldest first. The next page starts at the
    last page's newest time, not one millisecond later: the settlements of several
    symbols share a millisecond and a page may end among them (refs read already are
    dropped). Only a full page all within one millisecond moves past it."""
    start = dt_to_ms(since)
    found: dict[str, FundingFee] = {}
    while True:
        limit = INCOME_PAGE
        fees, rows = await read_page(start, limit)
        for fee in fees:
            found.setdefault(fee.ref, fee)
        if rows < limit or not fees:
            break
        last = dt_to_ms(fees[-1].ts)
        start = last if last > start else start + 1
    return sorted(found.values(), key=lambda fee: fee.ts)


class FundingLedger:
    """The settlements the broker knows (by ref), the totals of those it announced,
    and where the next read starts: the newest settlement known (read again, as others
    may share its millisecond), or the broker's start."""

    def __init__(self, start: datetime) -> None:
        self.since = start
        self.totals: dict[str, Decimal] = {}  # per asset, negative: paid
        self._refs: set[str] = set()

    def remember(self, fees: Iterable[FundingFee]) -> None:
        for fee in fees:
            self._refs.add(fee.ref)
            self.since = max(self.since, fee.ts)

    def fresh(self, fees: Iterable[FundingFee]) -> list[FundingFee]:
        """The settlements among `fees` not known before; from now on they are, and
        they count in the totals."""
        new = []
        for fee in fees:
            if fee.ref in self._refs:
                continue
            self.remember([fee])
            self.totals[fee.asset] = self.totals.get(fee.asset, Decimal(0)) + fee.amount
            new.append(fee)
        return new


class FundingReader:
    """Reads the income history for the broker: `settled()` (funding was settled, or
    may have been) starts a read in the background, one at a time and once more if
    `settled()` comes again meanwhile; settlements new to the ledger are reported one
    by one and announced together. A failed read is reported and left for the next
    `settled()`: it never reaches the user data handler."""

    def __init__(
        self,
        read_page: PageReader,
        start: datetime,
        report: Reporter,
        announce: Callable[[tuple[FundingFee, ...]], None],
    ) -> None:
        self.ledger = FundingLedger(start)
        self._read_page, self._report, self._announce = read_page, report, announce
        self._task: asyncio.Task[None] | None = None
        self._due = False  # settled since the last read began

    async def since(self, since: datetime) -> list[FundingFee]:
        """Every settlement at or after `since`, oldest first, known from now on."""
        fees = await read_funding(self._read_page, since)
        self.ledger.remember(fees)
        return fees

    def settled(self) -> None:
        self._due = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._read_new())

    async def close(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)

    async def _read_new(self) -> None:
        while self._due:
            self._due = False
            try:
                fees = await read_funding(self._read_page, self.ledger.since)
            except BrokerError as exc:
                message = f"funding settlements unknown: {exc}; read again at the next one"
                self._report(Severity.WARNING, SafetyKind.FUNDING_UNKNOWN, message, {})
                return
            fresh = self.ledger.fresh(fees)
            for fee in fresh:
                self._say(fee)
            if fresh:
                self._announce(tuple(fresh))

    def _say(self, fee: FundingFee) -> None:
        total = self.ledger.totals[fee.asset]
        message = (
            f"funding fee {fee.amount:+} {fee.asset} on {fee.symbol} (total since start {total:+})"
        )
        data = {
            "asset": fee.asset,
            "amount": str(fee.amount),
            "total": str(total),
            "symbol": fee.symbol,
            "ref": fee.ref,
        }
        self._report(Severity.INFO, SafetyKind.FUNDING_FEE, message, data)
