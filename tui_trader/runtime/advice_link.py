"""Connects the LLM advisor to the trader without ever making trading wait for it.

- advisory: strategy signals, volatility triggers and a timer ask for advice; the advice
  is journaled and shown, and never changes an order.
- gate: a strategy ENTRY waits (in its own task, never in the trading loop) for fresh
  advice; it goes to the order gate only when the advice agrees with enough confidence.
  Exits never wait.
- decide: a strategy ENTRY asks for a structured decision instead; a long/short
  decision becomes an entry intent that still passes the whole order gate (risk included).
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from tui_trader.clock import Clock
from tui_trader.domain.orders import OrderIntent
from tui_trader.domain.rules import SymbolRules
from tui_trader.llm.advice import Advice, advice_view
from tui_trader.llm.gate import decision_to_intent, gate_allows
from tui_trader.llm.prompt import AdvisorContext, Trigger
from tui_trader.runtime.views import History

if TYPE_CHECKING:  # the advisor loads the openai SDK (~0.4 s): only an enabled one pays
    from tui_trader.llm.advisor import LLMAdvisor

log = logging.getLogger("tui_trader.llm")

ContextBuilder = Callable[[str], AdvisorContext]


ADVICE_HISTORY = 30  # advice rows in the LLM panel's history


class AdviceLink:
    def __init__(
        self,
        advisor: "LLMAdvisor",
        clock: Clock,
        context: ContextBuilder,
        rules_of: Callable[[str], SymbolRules | None],
        submit: Callable[[OrderIntent], None],
        refuse: Callable[[OrderIntent, str], None],
    ) -> None:
        self.advisor = advisor
        self.settings = advisor.settings
        self._clock = clock
        self._context = context
        # A function, not a copy: the exchange's filters replace the defaults after
        # this link is built, and a decision must round with the rules in force.
        self._rules_of = rules_of
        self._submit = submit
        self._refuse = refuse
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def mode(self) -> str:
        return self.settings.llm_mode

    async def run(self) -> None:
        """The advisor's own worker (advisory requests), run as a named edge task."""
        try:
            await self.advisor.run()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await self.advisor.aclose()

    def show_in(self, history: History, symbols: Sequence[str]) -> None:
        """The latest advice per symbol and the recent history, newest first, for the
        LLM panel."""
        for symbol in symbols:
            latest = self.advisor.latest(symbol)
            if latest is not None:
                history.advice[symbol] = advice_view(latest)
        recent = self.advisor.history()[-ADVICE_HISTORY:]
        history.advice_history = tuple(advice_view(a) for a in reversed(recent))

    def ask(self, symbol: str, trigger: Trigger) -> None:
        """Queue an advisory request; never blocks, coalesces per symbol."""
        self.advisor.submit(symbol, trigger, self._context(symbol))

    def ask_when_due(self, symbols: Sequence[str]) -> None:
        for symbol in symbols:
            if self.advisor.timer_due(symbol):
                self.ask(symbol, "timer")

    def takes(self, intent: OrderIntent) -> bool:
        """True when this link owns the intent's fate (gate/decide entries)."""
        if intent.purpose.is_exit or self.mode == "advisory":
            return False
        task = asyncio.get_running_loop().create_task(self._decide(intent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _decide(self, intent: OrderIntent) -> None:
        """Never dies silently: whatever goes wrong, the entry is refused and the symbol
        freed (a dead task would leave it pending, blocking even its exits)."""
        try:
            await self._decide_or_raise(intent)
        except Exception as exc:
            log.exception("LLM %s for %s failed", self.mode, intent.symbol)
            self._refuse(intent, f"LLM {self.mode} failed: {type(exc).__name__}: {exc}")

    async def _decide_or_raise(self, intent: OrderIntent) -> None:
        deadline = self.settings.request_deadline_s
        try:
            advice = await asyncio.wait_for(
                self.advisor.request(intent.symbol, "signal", self._context(intent.symbol)),
                deadline,
            )
        except TimeoutError:
            advice = None
        if self.mode == "gate":
            self._gate(intent, advice)
        else:
            self._from_decision(intent, advice)

    def _gate(self, intent: OrderIntent, advice: Advice | None) -> None:
        max_age = timedelta(seconds=self.settings.request_deadline_s)
        allowed = gate_allows(
            advice,
            intent.side,
            self.settings.llm_gate_threshold,
            purpose=intent.purpose,
            now=self._clock.now(),
            max_age=max_age,
        )
        if allowed:
            self._submit(intent)
            return
        if advice is None:
            why = "no advice (skipped, timed out or over budget)"
        elif not advice.valid:
            why = f"invalid advice: {advice.error}"
        else:
            why = f"advice {advice.action} at confidence {advice.confidence:.2f}"
        self._refuse(intent, f"LLM gate: {why}")

    def _from_decision(self, intent: OrderIntent, advice: Advice | None) -> None:
        proposal = (
            decision_to_intent(advice, intent.reference_price, self._rules_of(intent.symbol))
            if advice is not None
            else None
        )
        if proposal is None:
            reason = advice.error if advice is not None and not advice.valid else "flat"
            self._refuse(intent, f"LLM decide: no entry ({reason or 'no decision'})")
            return
        self._submit(proposal)
