"""How every signed request to Binance is sent: a rate-limit gate (Binance's Retry-After,
and slowing down before the limits by the usage headers, rate_budget.py), a timeout, a
clock resync every RESYNC_EVERY_S (python-binance measures the offset only once), and
one retry after a resync on -1021. Failures come out as ExchangeCallFailed, or as
RateLimited while sending is paused."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tui_trader.binance.client import resync_time
from tui_trader.binance.errors import (
    DEFAULT_RETRY_AFTER_S,
    ApiError,
    ErrorKind,
    ExchangeCallFailed,
    RateLimited,
    classify,
)
from tui_trader.binance.rate_budget import RateBudget, Slowdown
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyKind
from tui_trader.resilience.breaker import DEFAULT_BREAKER, BreakerLimits, ServiceBreaker

log = logging.getLogger("tui_trader.binance")

# severity, kind, message, data → a SafetyEvent for the operator
Reporter = Callable[[Severity, SafetyKind, str, dict[str, Any]], None]

RESYNC_EVERY_S = 30 * 60.0
MAX_SLOW_WAIT_S = 10.0  # a longer wait refuses the request instead (RateLimited)


def _is_order(method: Callable[..., Awaitable[Any]]) -> bool:
    # create_order / futures_create_order: the calls Binance's order counters count.
    return getattr(method, "__name__", "").endswith("create_order")


class ApiCaller:
    def __init__(
        self,
        client: Any,
        *,
        timeout_s: float,
        report: Reporter,
        budget: RateBudget | None = None,
        resync_every_s: float = RESYNC_EVERY_S,
        limits: BreakerLimits = DEFAULT_BREAKER,
    ) -> None:
        self._client, self._timeout_s, self._report = client, timeout_s, report
        self.budget = budget or RateBudget(())
        self._paused_until = 0.0  # loop time before which nothing is sent
        self._resync_every_s = resync_every_s
        self._synced_at = asyncio.get_running_loop().time()  # the client measured at create()
        self._slowdown_said = 0.0  # window end of the last slowdown reported
        # Repeated outcome-unknown failures (timeouts, 5xx, lost connections) open the
        # circuit: calls pause instead of piling up against a failing exchange.
        self.breaker = ServiceBreaker(
            "Binance REST",
            SystemClock(),
            failure_threshold=limits.failures,
            reset_after_s=limits.reset_after_s,
            on_event=lambda e: report(e.severity, e.kind, e.message, dict(e.data)),
        )

    async def __call__(self, method: Callable[..., Awaitable[Any]], **params: Any) -> Any:
        if asyncio.get_running_loop().time() - self._synced_at >= self._resync_every_s:
            await self._periodic_resync()
        try:
            return await self._send(method, params)
        except ExchangeCallFailed as exc:
            if exc.error.kind is not ErrorKind.CLOCK_SKEW:
                raise
            skew = exc.error
        # -1021 means Binance did not process the request, so sending it again is safe.
        await self._resync(skew)
        return await self._send(method, params)

    async def _send(self, method: Callable[..., Awaitable[Any]], params: dict[str, Any]) -> Any:
        now = asyncio.get_running_loop().time()
        if now < self._paused_until:
            wait = self._paused_until - now
            raise RateLimited(f"sending paused for another {wait:.1f}s (Binance rate limit)", wait)
        if not self.breaker.allow():
            wait = self.breaker.retry_in_s()
            raise RateLimited(f"Binance circuit open: calls paused for {wait:.0f}s", wait)
        await self._slow_down(_is_order(method))
        try:
            result = await asyncio.wait_for(method(**params), self._timeout_s)
        except asyncio.CancelledError:
            self.breaker.release_probe()
            raise
        except Exception as exc:
            self._observe_usage()
            error = classify(exc)
        else:
            self._observe_usage()
            self.breaker.record_success()
            return result
        if error.kind is ErrorKind.UNKNOWN_OUTCOME:
            self.breaker.record_failure(error.describe())
        else:
            self.breaker.record_success()  # Binance answered: the service is up
        if error.kind is ErrorKind.RATE_LIMITED:
            self._pause(error, now)
        raise ExchangeCallFailed(error)

    async def _slow_down(self, order: bool) -> None:
        """Wait for the window of a nearly used-up limit; refuse if that is long."""
        slow = self.budget.slowdown(time.time(), order=order)
        if slow is None:
            return
        self._say_slowdown(slow)
        if slow.wait_s > MAX_SLOW_WAIT_S:
            raise RateLimited(
                f"Binance {slow.reason}: not sent for {slow.wait_s:.0f}s", slow.wait_s
            )
        await asyncio.sleep(slow.wait_s)

    def _say_slowdown(self, slow: Slowdown) -> None:
        if slow.window_end == self._slowdown_said:
            return  # once per window
        self._slowdown_said = slow.window_end
        message = f"Binance {slow.reason}: requests wait {slow.wait_s:.1f}s for the next window"
        data = {"reason": slow.reason, "wait_s": round(slow.wait_s, 3)}
        self._report(Severity.WARNING, SafetyKind.RATE_SLOWDOWN, message, data)

    def _observe_usage(self) -> None:
        """The usage headers of the reply just received. python-binance keeps only the
        last response, so under concurrent requests this may be a sibling's: the
        counters are account-wide anyway, and a slightly older one errs on the side of
        going on (the next reply corrects it)."""
        response = getattr(self._client, "response", None)
        headers = getattr(response, "headers", None)
        if headers is not None:
            self.budget.observe(headers, time.time())

    async def _periodic_resync(self) -> None:
        self._synced_at = asyncio.get_running_loop().time()
        try:
            offset = await asyncio.wait_for(resync_time(self._client), self._timeout_s)
        except Exception as exc:  # the request itself may still work: try it
            log.warning("periodic clock resync with Binance failed: %s", classify(exc).describe())
            return
        log.info("clock offset to Binance re-measured: %d ms", offset)

    async def _resync(self, error: ApiError) -> None:
        try:
            offset = await asyncio.wait_for(resync_time(self._client), self._timeout_s)
        except Exception:
            raise ExchangeCallFailed(error) from None
        self._synced_at = asyncio.get_running_loop().time()
        message = f"Binance said {error.describe()!r}; clock offset is now {offset} ms"
        self._report(Severity.INFO, SafetyKind.CLOCK_RESYNC, message, {"offset_ms": offset})

    def _pause(self, error: ApiError, now: float) -> None:
        wait = error.retry_after_s if error.retry_after_s is not None else DEFAULT_RETRY_AFTER_S
        self._paused_until = now + wait
        severity = Severity.CRITICAL if error.status == 418 else Severity.WARNING  # 418: IP ban
        message = f"Binance {error.status} {error.describe()}; no requests for {wait:g}s"
        self._report(
            severity,
            SafetyKind.RATE_LIMITED,
            message,
            {"status": error.status, "retry_after_s": wait},
        )
        raise RateLimited(f"Binance {error.status}: {error.message}", wait)
