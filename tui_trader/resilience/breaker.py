"""A circuit breaker for an outbound service (Slack, Telegram, an exchange's REST API).

CLOSED: calls go through; `failure_threshold` failures in a row open it.
OPEN: calls are refused at once (no waiting on a dead service) for `reset_after_s`.
HALF_OPEN: one probe call is let through; success closes the breaker, failure opens it
again for another `reset_after_s`.

Opening is a safety event (given to `on_event`, usually the trader's `record_safety`),
so it is journaled, shown and notified; closing again is an INFO event."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from tui_trader.clock import Clock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind

log = logging.getLogger("tui_trader.resilience.breaker")

T = TypeVar("T")
SafetySink = Callable[[SafetyEvent], None]


class BreakerState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class BreakerOpen(Exception):
    """The breaker refused the call without trying it."""

    def __init__(self, name: str, retry_in_s: float) -> None:
        super().__init__(f"{name}: circuit open, next try in {retry_in_s:.1f} s")
        self.retry_in_s = retry_in_s


def _ignore(_event: SafetyEvent) -> None:
    return None


@dataclass(frozen=True, slots=True)
class BreakerLimits:
    """When a breaker opens (consecutive failures) and how long it stays open
    (BREAKER_FAILURES, BREAKER_RESET_S): one setting for every service."""

    failures: int = 5
    reset_after_s: float = 30.0


DEFAULT_BREAKER = BreakerLimits()


class ServiceBreaker:
    def __init__(
        self,
        name: str,
        clock: Clock,
        *,
        failure_threshold: int = 5,
        reset_after_s: float = 30.0,
        on_event: SafetySink = _ignore,
        severity: Severity = Severity.WARNING,
    ) -> None:
        if failure_threshold < 1 or reset_after_s <= 0:
            raise ValueError("ServiceBreaker needs failure_threshold >= 1 and reset_after_s > 0")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_after = timedelta(seconds=reset_after_s)
        self.severity = severity
        self.failures = 0  # consecutive
        self._clock = clock
        self._on_event = on_event
        self._state = BreakerState.CLOSED
        self._opened_at: datetime | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        return self._state

    def retry_in_s(self) -> float:
        """Seconds until an OPEN breaker lets a probe through (0 otherwise)."""
        if self._state is not BreakerState.OPEN or self._opened_at is None:
            return 0.0
        left = self._opened_at + self.reset_after - self._clock.now()
        return max(left.total_seconds(), 0.0)

    def allow(self) -> bool:
        """May a call go out now? In HALF_OPEN only one probe at a time."""
        if self._state is BreakerState.OPEN and self.retry_in_s() == 0:
            self._state = BreakerState.HALF_OPEN
        if self._state is BreakerState.HALF_OPEN:
            if self._probing:
                return False
            self._probing = True
            return True
        return self._state is BreakerState.CLOSED

    def record_success(self) -> None:
        self.failures = 0
        self._probing = False
        if self._state is not BreakerState.CLOSED:
            self._state = BreakerState.CLOSED
            self._emit(
                Severity.INFO,
                SafetyKind.BREAKER_CLOSED,
                f"{self.name} answers again: circuit closed",
            )

    def record_failure(self, error: str) -> None:
        self.failures += 1
        self._probing = False
        if self._state is BreakerState.HALF_OPEN:
            self._open()  # still down: wait another period, already announced
            log.warning("%s: probe failed (%s); circuit stays open", self.name, error)
        elif self._state is BreakerState.CLOSED and self.failures >= self.failure_threshold:
            self._open()
            seconds = self.reset_after.total_seconds()
            self._emit(
                self.severity,
                SafetyKind.BREAKER_OPEN,
                f"{self.name} failed {self.failures} times in a row (last: {error}): "
                f"circuit open, calls paused for {seconds:g} s",
            )

    def release_probe(self) -> None:
        """A probe ended without a verdict (cancelled): let the next call probe."""
        self._probing = False

    async def call(self, action: Callable[[], Awaitable[T]]) -> T:
        """Run `action` through the breaker; raises BreakerOpen when refused."""
        if not self.allow():
            raise BreakerOpen(self.name, self.retry_in_s())
        try:
            result = await action()
        except Exception as exc:
            self.record_failure(f"{type(exc).__name__}: {exc}")
            raise
        except BaseException:
            self.release_probe()
            raise
        self.record_success()
        return result

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock.now()

    def _emit(self, severity: Severity, kind: SafetyKind, message: str) -> None:
        event = SafetyEvent(
            self._clock.now(),
            severity,
            kind,
            message,
            data={"service": self.name, "failures": self.failures},
        )
        try:
            self._on_event(event)
        except Exception:  # a broken sink must not break the client using the breaker
            log.exception("breaker %s: safety sink failed", self.name)
