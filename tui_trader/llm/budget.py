"""Daily call/token budget (UTC day) with cost tracking, and a per-symbol cooldown.

Plain synchronous bookkeeping driven by the injected clock's timestamps. A call counts
against the budget when it is made, not when it succeeds: a failing provider must not
be hammered because its failures were free."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeGuard

from tui_trader.clock import utc_day_start

# The server's usage numbers are outside input: a negative count would give tokens back,
# an absurd one would end the day's budget. A reply is charged what it reported, but
# never less than an estimate from its length, and the estimate alone when the numbers
# are missing or garbage.
CHARS_PER_TOKEN = 4  # what common tokenizers average on prose and JSON
MAX_TOKENS_PER_CALL = 2_000_000  # beyond any model's context: a larger count is garbage


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens charged for one reply; `warning` says why the server's count was not used."""

    prompt_tokens: int
    completion_tokens: int
    warning: str = ""


def estimate_tokens(chars: int) -> int:
    return -(-max(chars, 0) // CHARS_PER_TOKEN)


def _usable(reported: object) -> TypeGuard[int]:
    return (
        isinstance(reported, int)
        and not isinstance(reported, bool)
        and 0 <= reported <= MAX_TOKENS_PER_CALL
    )


def count_usage(
    reported_prompt: object, reported_completion: object, prompt_chars: int, reply_chars: int
) -> Usage:
    """What one reply costs the budget. A count of 0 means the server sent none."""
    prompt_estimate, reply_estimate = estimate_tokens(prompt_chars), estimate_tokens(reply_chars)
    if _usable(reported_prompt) and _usable(reported_completion):
        return Usage(
            max(reported_prompt, prompt_estimate), max(reported_completion, reply_estimate)
        )
    shown = f"{reported_prompt!r:.20}, {reported_completion!r:.20}"
    warning = f"unusable token usage from the server ({shown}): counted the estimate"
    return Usage(prompt_estimate, reply_estimate, warning)


def _clamped(tokens: int) -> int:
    return min(max(tokens, 0), MAX_TOKENS_PER_CALL)


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    day: datetime
    calls: int
    call_limit: int
    tokens: int
    token_limit: int
    cost: Decimal


class DailyBudget:
    def __init__(
        self, call_limit: int, token_limit: int, cost_per_1k_in: Decimal, cost_per_1k_out: Decimal
    ) -> None:
        self.call_limit, self.token_limit = call_limit, token_limit
        self._cost_in, self._cost_out = cost_per_1k_in, cost_per_1k_out
        self._day: datetime | None = None
        self._calls = 0
        self._tokens = 0
        self._cost = Decimal(0)

    def _roll(self, now: datetime) -> datetime:
        day = utc_day_start(now)
        if day != self._day:
            self._day, self._calls, self._tokens, self._cost = day, 0, 0, Decimal(0)
        return day

    def refusal(self, now: datetime) -> str | None:
        """Why no call may be made now, or None when one may."""
        self._roll(now)
        if self._calls >= self.call_limit:
            return f"daily call budget used ({self._calls}/{self.call_limit})"
        if self._tokens >= self.token_limit:
            return f"daily token budget used ({self._tokens}/{self.token_limit})"
        return None

    def record_call(self, now: datetime) -> None:
        self._roll(now)
        self._calls += 1

    def record_usage(self, now: datetime, prompt_tokens: int, completion_tokens: int) -> Decimal:
        """Add the tokens of one reply; returns its estimated cost in the quote currency
        of the price settings (USD for hosted providers)."""
        self._roll(now)
        prompt_tokens, completion_tokens = _clamped(prompt_tokens), _clamped(completion_tokens)
        cost = self.cost_of(prompt_tokens, completion_tokens)
        self._tokens += prompt_tokens + completion_tokens
        self._cost += cost
        return cost

    def cost_of(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        return (prompt_tokens * self._cost_in + completion_tokens * self._cost_out) / 1000

    def status(self, now: datetime) -> BudgetStatus:
        day = self._roll(now)
        return BudgetStatus(
            day, self._calls, self.call_limit, self._tokens, self.token_limit, self._cost
        )


class Cooldown:
    """At most one request per symbol every `seconds`."""

    def __init__(self, seconds: float) -> None:
        self._period = timedelta(seconds=seconds)
        self._last: dict[str, datetime] = {}

    def remaining(self, symbol: str, now: datetime) -> timedelta:
        last = self._last.get(symbol)
        if last is None:
            return timedelta(0)
        return max(timedelta(0), last + self._period - now)

    def mark(self, symbol: str, now: datetime) -> None:
        self._last[symbol] = now
