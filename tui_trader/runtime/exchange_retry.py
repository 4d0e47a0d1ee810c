"""While the venue (Binance, Upbit) cannot be reached the trader paper-trades the
simulated market and keeps trying the venue, with backoff. When it answers, the trader
moves to the venue's data as soon as that cannot mix simulated and real prices in one
trade: the engine stopped, no position and no order open. Until then it says that the
venue is back and what it waits for; the feed's status line always says which of these
it is doing."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from tui_trader.clock import Clock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyKind
from tui_trader.resilience.retry import Backoff

if TYPE_CHECKING:
    from tui_trader.alpaca.venue_parts import AlpacaParts
    from tui_trader.binance.venue_parts import ExchangeParts
    from tui_trader.upbit.venue_parts import UpbitParts

    LinkParts = ExchangeParts | UpbitParts | AlpacaParts  # what a venue link is built from

log = logging.getLogger("tui_trader.exchange")

RETRY_BACKOFF = Backoff(base_s=5.0, max_s=300.0, jitter=0.5)
WAIT_POLL_S = 1.0

Report = Callable[[Severity, SafetyKind, str], None]


async def close_parts(parts: "LinkParts") -> None:
    """Release connected parts that will not be used (a failed or abandoned switch)."""
    await parts.feed.close()
    if parts.broker is not None:
        await parts.broker.close()


class ExchangeRetry:
    def __init__(
        self,
        connect: Callable[[], Awaitable["LinkParts"]],
        switch: Callable[["LinkParts"], Awaitable[None]],
        blocker: Callable[[], str],
        *,
        clock: Clock,
        report: Report,
        touch: Callable[[], None],
        backoff: Backoff | None = None,
        venue: str = "Binance",
    ) -> None:
        """`blocker()` says what the move waits for ("" when it may happen now)."""
        self.venue = venue
        self._connect, self._switch, self._blocker = connect, switch, blocker
        self._clock, self._report, self._touch = clock, report, touch
        self._backoff = backoff or RETRY_BACKOFF
        self.attempts = 0
        self.last_error = ""
        self._next_at = clock.now()
        self._waiting = ""  # the venue answered; what the move still waits for

    def detail(self) -> str:
        """One line for the feed status: what the link to the venue is doing now."""
        if self._waiting:
            return f"{self.venue} back; switching when {self._waiting}"
        seconds = max(0.0, (self._next_at - self._clock.now()).total_seconds())
        return f"retry {self.attempts + 1} in {seconds:.0f}s"

    async def run(self) -> None:
        while True:
            parts = await self._reach()
            try:
                await self._wait_until_clear()
                await self._switch(parts)
                return
            except asyncio.CancelledError:  # shut down while waiting: release it all
                await close_parts(parts)
                raise
            except Exception as exc:  # the account could not be read: nothing changed
                await close_parts(parts)
                self._failed(exc)
                message = f"switch to {self.venue} failed: {exc}; still on the SIMULATED market"
                self._report(Severity.WARNING, SafetyKind.EXCHANGE_SWITCH_FAILED, message)

    async def _reach(self) -> "LinkParts":
        while True:
            delay = self._backoff.delay(self.attempts)
            self._next_at = self._clock.now() + timedelta(seconds=delay)
            self._touch()
            await asyncio.sleep(delay)
            try:
                return await self._connect()
            except Exception as exc:  # any failure to connect: try again later
                self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        self.attempts += 1
        self._waiting = ""
        log.warning("%s not usable yet (attempt %d): %s", self.venue, self.attempts, exc)
        if str(exc) != self.last_error:  # a new reason is said once, not every attempt
            venue = self.venue
            message = f"{venue} not usable yet: {exc}; still on the SIMULATED market, retrying"
            self._report(Severity.WARNING, SafetyKind.EXCHANGE_RETRY_FAILED, message)
        self.last_error = str(exc)

    async def _wait_until_clear(self) -> None:
        announced = ""
        while blocker := self._blocker():
            if blocker != announced:
                message = (
                    f"{self.venue} reachable again; still on the SIMULATED market until "
                    f"{blocker}, then switching to {self.venue} data"
                )
                self._report(Severity.WARNING, SafetyKind.EXCHANGE_BACK, message)
                announced = blocker
            self._waiting = blocker
            self._touch()
            await asyncio.sleep(WAIT_POLL_S)
        self._waiting = ""
