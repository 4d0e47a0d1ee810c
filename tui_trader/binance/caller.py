"""How every signed request to Binance is sent: a rate-limit gate, a timeout, and one
retry after a clock resync on -1021. Failures come out as ExchangeCallFailed, or as
RateLimited while Binance has asked us to back off."""

import asyncio
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
from tui_trader.clock import SystemClock
from tui_trader.domain.enums import Severity
from tui_trader.ops.breaker import ServiceBreaker

# severity, kind, message, data → a SafetyEvent for the operator
Reporter = Callable[[Severity, str, str, dict[str, Any]], None]


class ApiCaller:
    def __init__(self, client: Any, *, timeout_s: float, report: Reporter) -> None:
        self._client, self._timeout_s, self._report = client, timeout_s, report
        self._paused_until = 0.0  # loop time before which nothing is sent
        # Repeated outcome-unknown failures (timeouts, 5xx, lost connections) open the
        # circuit: calls pause instead of piling up against a failing exchange.
        self.breaker = ServiceBreaker(
            "Binance REST",
            SystemClock(),
            on_event=lambda e: report(e.severity, e.kind, e.message, dict(e.data)),
        )

    async def __call__(self, method: Callable[..., Awaitable[Any]], **params: Any) -> Any:
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
        try:
            result = await asyncio.wait_for(method(**params), self._timeout_s)
        except asyncio.CancelledError:
            self.breaker.release_probe()
            raise
        except Exception as exc:
            error = classify(exc)
        else:
            self.breaker.record_success()
            return result
        if error.kind is ErrorKind.UNKNOWN_OUTCOME:
            self.breaker.record_failure(error.describe())
        else:
            self.breaker.record_success()  # Binance answered: the service is up
        if error.kind is ErrorKind.RATE_LIMITED:
            self._pause(error, now)
        raise ExchangeCallFailed(error)

    async def _resync(self, error: ApiError) -> None:
        try:
            offset = await asyncio.wait_for(resync_time(self._client), self._timeout_s)
        except Exception:
            raise ExchangeCallFailed(error) from None
        message = f"Binance said {error.describe()!r}; clock offset is now {offset} ms"
        self._report(Severity.INFO, "clock_resync", message, {"offset_ms": offset})

    def _pause(self, error: ApiError, now: float) -> None:
        wait = error.retry_after_s if error.retry_after_s is not None else DEFAULT_RETRY_AFTER_S
        self._paused_until = now + wait
        severity = Severity.CRITICAL if error.status == 418 else Severity.WARNING  # 418: IP ban
        message = f"Binance {error.status} {error.describe()}; no requests for {wait:g}s"
        self._report(
            severity, "rate_limited", message, {"status": error.status, "retry_after_s": wait}
        )
        raise RateLimited(f"Binance {error.status}: {error.message}", wait)
