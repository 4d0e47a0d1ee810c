"""Connects the LLM advisor to the trader without ever making trading wait for it.

- advisory: strategy signals, volatility triggers and a timer ask for advice; the advice
  is journaled and shown, and never changes an order.
- gate: a strategy ENTRY waits (in its own task, never in the trading loop) for fresh
  advice; it goes to the order gate only when the advice agrees with enough confidence.
  Exits never wait.
- decide: a strategy ENTRY asks for a structured decision instead; a long/short
  decision becomes an entry intent that still passes the whole order gate (risk included),
  and its exit plan (stop, partial take-profits, trailing, hold duration, scale-in) is
  armed for the position it opens; a decision that cannot be taken as given is refused
  with the reason (llm/decision.py), as a safety event.
  The model also decides on its own: at LLM_DECIDE_EVERY_MIN's clock-aligned times for
  every symbol, and on a volatility trigger (at most once per LLM_COOLDOWN_S per symbol;
  the advisor's breaker backs off after errors). Such an entry is taken only where a
  strategy's could be (flat, nothing open, entries allowed, no protection pause).
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tui_trader.clock import Clock
from tui_trader.domain.orders import OrderIntent
from tui_trader.llm.advice import Advice, advice_view
from tui_trader.llm.decision import Constraints, DecisionRefused, decision_to_intent
from tui_trader.llm.gate import gate_allows
from tui_trader.llm.prompt import AdvisorContext, Trigger
from tui_trader.risk.exit_plan import ExitPlan
from tui_trader.runtime.schedules import Schedule
from tui_trader.runtime.views import History

if TYPE_CHECKING:  # the advisor loads the openai SDK (~0.4 s): only an enabled one pays
    from tui_trader.llm.advisor import LLMAdvisor

log = logging.getLogger("tui_trader.llm")

ContextBuilder = Callable[[str], AdvisorContext]


@dataclass(frozen=True, slots=True)
class DecideHooks:
    """What the model's own decisions need from the trader."""

    claim: Callable[[str], str]  # "" when the symbol may take an entry now, else why not
    price_of: Callable[[str], Decimal]  # the market price (the decision's reference)
    symbols: Callable[[], Sequence[str]]
    wall_clock: Clock  # the schedule's clock
    report: Callable[[str], None]  # a scheduled run that failed
    refused: Callable[[str, str], None]  # (symbol, why) a decision was not taken


ADVICE_HISTORY = 30  # advice rows in the LLM panel's history


class AdviceLink:
    def __init__(
        self,
        advisor: "LLMAdvisor",
        clock: Clock,
        context: ContextBuilder,
        constraints: Callable[[str], Constraints],
        submit: Callable[[OrderIntent], None],
        refuse: Callable[[OrderIntent, str], None],
        hooks: DecideHooks | None = None,
        arm: Callable[[str, ExitPlan | None], None] = lambda _symbol, _plan: None,
    ) -> None:
        self.advisor = advisor
        self.settings = advisor.settings
        self._clock = clock
        self._context = context
        # A function, not a copy: the exchange's filters replace the defaults after
        # this link is built, and a decision must round with the rules in force.
        self._constraints = constraints
        self._submit = submit
        self._refuse = refuse
        self._arm = arm  # the exit plan of the position a decision's entry opens
        self._tasks: set[asyncio.Task[None]] = set()
        self._hooks = hooks
        self._decided_at: dict[str, datetime] = {}  # the last volatility decision

    @property
    def mode(self) -> str:
        return self.settings.llm_mode

    async def run(self) -> None:
        """The advisor's own worker (advisory requests), and in decide mode the
        schedule of the model's own decisions; run as a named edge task."""
        try:
            schedule = self._schedule()
            if schedule is None:
                await self.advisor.run()
            else:
                await asyncio.gather(self.advisor.run(), schedule.run())
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

    def _schedule(self) -> Schedule | None:
        every = self.settings.llm_decide_every_min
        hooks = self._hooks
        if self.mode != "decide" or not every or hooks is None:
            return None
        return Schedule(
            "LLM decisions", timedelta(minutes=every), self._decide_all, hooks.wall_clock,
            hooks.report,
        )  # fmt: skip

    async def _decide_all(self) -> None:
        assert self._hooks is not None
        for symbol in self._hooks.symbols():
            await self.decide_now(symbol, "timer")

    def decide_soon(self, symbol: str, trigger: Trigger) -> None:
        """A volatility trigger in decide mode: a decision for `symbol`, in its own task,
        at most once per LLM_COOLDOWN_S."""
        now = self._clock.now()
        last = self._decided_at.get(symbol)
        if self._hooks is None or (last and now - last < self._cooldown):
            return
        self._decided_at[symbol] = now
        self._spawn(self.decide_now(symbol, trigger))

    @property
    def _cooldown(self) -> timedelta:
        return timedelta(seconds=self.settings.llm_cooldown_s)

    async def decide_now(self, symbol: str, trigger: Trigger) -> None:
        """Ask for a decision now; a long or short one becomes an entry where a strategy
        entry could be taken, through the whole order gate."""
        hooks = self._hooks
        assert hooks is not None
        advice = await self._request(symbol, trigger)
        price = hooks.price_of(symbol)
        if advice is None or price <= 0:
            return
        try:
            proposal = decision_to_intent(advice, price, self._constraints(symbol))
        except DecisionRefused as exc:
            hooks.refused(symbol, f"LLM decide ({trigger}): decision refused: {exc}")
            return
        if proposal is None:
            return  # flat (journaled with the advice)
        why = hooks.claim(symbol)
        if why:
            self._refuse(proposal, f"LLM decide ({trigger}): {why}")
            return
        self._send(proposal)

    def _send(self, proposal: OrderIntent) -> None:
        """The entry to the gate, its plan armed for the position it opens (a plan left
        by an entry that never filled is replaced by the next decision's)."""
        plan = proposal.meta.get("plan")
        self._arm(proposal.symbol, plan if isinstance(plan, ExitPlan) else None)
        self._submit(proposal)

    async def _request(self, symbol: str, trigger: Trigger) -> Advice | None:
        try:
            return await asyncio.wait_for(
                self.advisor.request(symbol, trigger, self._context(symbol)),
                self.settings.request_deadline_s,
            )
        except TimeoutError:
            return None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def takes(self, intent: OrderIntent) -> bool:
        """True when this link owns the intent's fate (gate/decide entries). A decision's
        own scale-in add (strategy "llm") was decided already: it goes to the gate."""
        if intent.purpose.is_exit or self.mode == "advisory" or intent.strategy == "llm":
            return False
        self._spawn(self._decide(intent))
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
        advice = await self._request(intent.symbol, "signal")
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
        if advice is None:
            self._refuse(
                intent, "LLM decide: no entry (no decision: skipped, timed out or over budget)"
            )
            return
        try:
            proposal = decision_to_intent(
                advice, intent.reference_price, self._constraints(intent.symbol)
            )
        except DecisionRefused as exc:
            self._refuse(intent, f"LLM decide: decision refused: {exc}")
            return
        if proposal is None:
            self._refuse(intent, "LLM decide: no entry (flat)")
            return
        self._send(proposal)
