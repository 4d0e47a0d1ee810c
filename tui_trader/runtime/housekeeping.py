"""The trader's once-a-second chores: ask the advisor when it is due (advisory mode),
journal the books when they changed (and at least every 10 s), and then check the
broker's balances against the books (a mismatch is the anomaly monitor's to judge)."""

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_trader.clock import Clock
from tui_trader.execution.broker import BrokerError
from tui_trader.runtime.execution_engine import ExecutionEngine
from tui_trader.runtime.trader_events import Reactions

if TYPE_CHECKING:
    from tui_trader.runtime.advice_link import AdviceLink

log = logging.getLogger("tui_trader.runtime.trader")

HOUSEKEEPING_S = 1.0
SNAPSHOT_JOURNAL_S = 10.0


class Housekeeping:
    def __init__(
        self,
        *,
        reactions: Reactions,
        engine: ExecutionEngine,
        advice: "AdviceLink | None",
        on_exchange_account: Callable[[], bool],
        market_clock: Clock,
    ) -> None:
        self._reactions, self._engine, self._advice = reactions, engine, advice
        self._on_exchange_account = on_exchange_account
        self._market_clock = market_clock
        self._since_journal_snapshot = 0.0

    async def run(self) -> None:
        reactions = self._reactions
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            if self._advice is not None and self._advice.mode == "advisory":
                self._advice.ask_when_due(tuple(reactions.core.parts.market.symbols))
            self._since_journal_snapshot += HOUSEKEEPING_S
            if reactions.books_changed or self._since_journal_snapshot >= SNAPSHOT_JOURNAL_S:
                self._since_journal_snapshot = 0.0
                reactions.journal_state_snapshot()
                await self.check_balances()

    async def check_balances(self) -> None:
        parts = self._reactions.core.parts
        expected = {a: b.total for a, b in parts.portfolio.balances().items()}
        try:
            held = await self._engine.broker.balances()
        except BrokerError as exc:  # the exchange did not answer: check again later
            log.warning("balance check skipped: %s", exc)
            return
        actual = {a: b.total for a, b in held.items()}
        if self._on_exchange_account():  # an exchange account holds other assets too
            actual = {a: v for a, v in actual.items() if a in expected}
        now = self._market_clock.now()
        for event in parts.anomaly.check_balances(expected, actual, now):
            self._reactions.record_safety(event)
