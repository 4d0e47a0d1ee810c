"""Daily call/token budget (UTC day) with cost tracking, and a per-symbol cooldown.

Plain synchronous bookkeeping driven by the injected clock's timestamps. A call counts
against the budget when it is made, not when it succeeds: a failing provider must not
be hammered because its failures were free."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tui_trader.clock import utc_day_start


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
