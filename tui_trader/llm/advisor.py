"""The LLM advisor: an edge task that asks the model about one symbol at a time.

The trading loop only calls `submit()` (never awaits the model) and reads `latest()`.
A worker task (`run()`) takes queued requests one by one; each is bounded by an overall
deadline, skipped while the symbol cools down or the daily budget is spent, journaled
(redacted) with latency, tokens and cost, and turned into an `Advice` that is either
valid or recorded as invalid and ignored. Nothing here raises into the caller."""

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from openai import AsyncOpenAI

from tui_trader.clock import Clock
from tui_trader.llm.advice import Advice
from tui_trader.llm.budget import BudgetStatus, Cooldown, DailyBudget, Usage, count_usage
from tui_trader.llm.client import Completion, complete
from tui_trader.llm.prompt import AdvisorContext, Trigger, build_messages, output_model
from tui_trader.llm.schemas import AdvisoryOutput, DecisionOutput
from tui_trader.llm.settings import LLMSettings
from tui_trader.resilience.breaker import ServiceBreaker
from tui_trader.secrets.redact import Redactor, default_redactor

log = logging.getLogger(__name__)
JournalSink = Callable[[dict[str, object]], None]
ClientFactory = Callable[[], AsyncOpenAI]
Reply = Completion[AdvisoryOutput | DecisionOutput]
MAX_JOURNALED_REPLY = 2000


class LLMAdvisor:
    def __init__(
        self,
        settings: LLMSettings,
        client_factory: ClientFactory,
        clock: Clock,
        journal_sink: JournalSink | None = None,
        *,
        redactor: Redactor | None = None,
        history_size: int = 50,
        queue_size: int = 32,
        breaker: ServiceBreaker | None = None,
    ) -> None:
        self.settings = settings
        self._client_factory = client_factory
        self._client: AsyncOpenAI | None = None
        self._clock = clock
        self._sink = journal_sink
        self._redactor = redactor or default_redactor()
        self._budget = DailyBudget(
            settings.llm_daily_call_budget,
            settings.llm_daily_token_budget,
            settings.llm_cost_per_1k_input,
            settings.llm_cost_per_1k_output,
        )
        self._cooldown = Cooldown(settings.llm_cooldown_s)
        self._latest: dict[str, Advice] = {}
        self._history: deque[Advice] = deque(maxlen=history_size)
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self._pending: dict[str, tuple[Trigger, AdvisorContext]] = {}
        # Repeated failures (timeouts, 5xx, refused connections) pause calls for a while.
        self._breaker = breaker

    # --- what the trading loop and the UI call (never blocks) -------------------------

    def submit(self, symbol: str, trigger: Trigger, context: AdvisorContext) -> bool:
        """Queue a request for the worker. A symbol already waiting keeps its place and
        gets the newer context. False when disabled or the queue is full."""
        if not self.settings.llm_enabled:
            return False
        if symbol in self._pending:
            self._pending[symbol] = (trigger, context)
            return True
        try:
            self._queue.put_nowait(symbol)
        except asyncio.QueueFull:
            return False
        self._pending[symbol] = (trigger, context)
        return True

    def latest(self, symbol: str) -> Advice | None:
        return self._latest.get(symbol)

    def history(self, symbol: str | None = None) -> list[Advice]:
        """Most recent last."""
        return [a for a in self._history if symbol is None or a.symbol == symbol]

    def timer_due(self, symbol: str) -> bool:
        """True when the symbol has had no request for `llm_timer_s` (timer trigger)."""
        last = self._latest.get(symbol)
        age = (self._clock.now() - last.at).total_seconds() if last else None
        return age is None or age >= self.settings.llm_timer_s

    def budget_status(self) -> BudgetStatus:
        return self._budget.status(self._clock.now())

    # --- the worker -------------------------------------------------------------------

    async def run(self) -> None:
        """Process queued requests until cancelled; run it as a named task/worker."""
        while True:
            symbol = await self._queue.get()
            try:
                trigger, context = self._pending.pop(symbol)
                await self.request(symbol, trigger, context)
            finally:
                self._queue.task_done()

    async def wait_idle(self) -> None:
        """Until every queued request has been processed."""
        await self._queue.join()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def request(
        self, symbol: str, trigger: Trigger, context: AdvisorContext
    ) -> Advice | None:
        """Ask now. None when skipped (disabled, cooling down, budget spent)."""
        if not self.settings.llm_enabled:
            return None
        now = self._clock.now()
        skip = self._skip_reason(symbol, now)
        if skip:
            self._journal(
                {"kind": "llm_skipped", "symbol": symbol, "trigger": trigger, "reason": skip}
            )
            return None
        self._cooldown.mark(symbol, now)
        self._budget.record_call(now)
        messages = build_messages(symbol, trigger, self.settings.llm_mode, context)
        self._journal(
            {
                "kind": "llm_request",
                "symbol": symbol,
                "trigger": trigger,
                "mode": self.settings.llm_mode,
                "model": self.settings.llm_model,
                "at": now.isoformat(),
                "prompt": messages[-1]["content"],
            }
        )
        started = time.perf_counter()  # monotonic: latency only, never a timestamp
        completion = await self._ask(messages)
        latency_ms = (time.perf_counter() - started) * 1000
        prompt_chars = sum(len(message["content"]) for message in messages)
        advice = self._advice(symbol, trigger, now, completion, latency_ms, prompt_chars)
        self._latest[symbol] = advice
        self._history.append(advice)
        self._journal_response(advice, completion.content)
        return advice

    def _skip_reason(self, symbol: str, now: datetime) -> str:
        wait = self._cooldown.remaining(symbol, now)
        if wait.total_seconds() > 0:
            return f"cooldown: {math.ceil(wait.total_seconds())}s left for {symbol}"
        return self._budget.refusal(now) or ""

    async def _ask(self, messages: list[dict[str, str]]) -> Reply:
        breaker = self._breaker
        if breaker is not None and not breaker.allow():
            return Completion(None, "", f"circuit open: calls paused {breaker.retry_in_s():.0f}s")
        reply = await self._ask_once(messages)
        if breaker is not None:
            if reply.error and not reply.content:  # no answer at all: the service failed
                breaker.record_failure(reply.error)
            else:
                breaker.record_success()
        return reply

    async def _ask_once(self, messages: list[dict[str, str]]) -> Reply:
        model = output_model(self.settings.llm_mode)
        deadline = self.settings.request_deadline_s
        try:
            async with asyncio.timeout(deadline):
                if self._client is None:
                    self._client = self._client_factory()
                return await complete(self._client, self.settings, messages, model)
        except TimeoutError:
            return Completion(None, "", f"no answer within {deadline:.1f}s")
        except Exception as exc:  # advice is optional: a bug or odd reply must not stop trading
            log.warning("LLM request failed: %s", self._redactor.redact(repr(exc)))
            return Completion(None, "", f"{type(exc).__name__}: {self._redactor.redact(str(exc))}")

    def _advice(
        self, symbol: str, trigger: Trigger, at: datetime, done: Reply, ms: float, chars: int
    ) -> Advice:
        usage = self._usage(symbol, done, chars)
        cost = self._budget.record_usage(
            self._clock.now(), usage.prompt_tokens, usage.completion_tokens
        )
        return Advice(
            symbol=symbol,
            trigger=trigger,
            mode=self.settings.llm_mode,
            at=at,
            output=done.output,
            error=done.error,
            latency_ms=round(ms, 1),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost=cost,
            path=done.path,
        )

    def _usage(self, symbol: str, done: Reply, prompt_chars: int) -> Usage:
        """Tokens to charge. No reply at all (timeout, refused connection) is charged
        as a call only; any reply at least its estimated length."""
        answered = done.content or done.prompt_tokens or done.completion_tokens
        if not answered:
            return Usage(0, 0)
        usage = count_usage(
            done.prompt_tokens, done.completion_tokens, prompt_chars, len(done.content)
        )
        if usage.warning:
            log.warning("LLM reply for %s: %s", symbol, usage.warning)
            self._journal(
                {
                    "kind": "llm_usage_invalid",
                    "symbol": symbol,
                    "reason": usage.warning,
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                }
            )
        return usage

    def _journal_response(self, advice: Advice, content: str) -> None:
        self._journal(
            {
                "kind": "llm_response",
                "symbol": advice.symbol,
                "trigger": advice.trigger,
                "valid": advice.valid,
                "error": advice.error,
                "action": advice.action,
                "confidence": advice.confidence,
                "latency_ms": advice.latency_ms,
                "prompt_tokens": advice.prompt_tokens,
                "completion_tokens": advice.completion_tokens,
                "cost": str(advice.cost),
                "path": advice.path,
                "reply": content[:MAX_JOURNALED_REPLY],
            }
        )

    def _journal(self, record: dict[str, object]) -> None:
        if self._sink is None:
            return
        try:
            self._sink(self._redactor.redact_record(record))
        except Exception:  # the journal's trouble must not become the advisor's
            log.exception("LLM journal sink failed")
