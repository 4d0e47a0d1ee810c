"""Retry with exponential backoff: the one `Backoff` every outbound client uses
(notifications, Telegram polling, Binance REST, market and user-data reconnects).

The delay before retry n (0-based) is min(max_s, base_s * factor**n), spread by ±jitter
so that many clients failing together do not retry in lockstep, and never above max_s.
An exception may carry `retry_after_s` (a server's Retry-After): that delay is used
instead."""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger("tui_trader.resilience.retry")

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
MAX_DOUBLINGS = 64  # factor**n beyond this only overflows; every cap is reached long before


@dataclass(frozen=True, slots=True)
class Backoff:
    attempts: int = 4  # tries in total, the first one included (reconnect loops: unused)
    base_s: float = 1.0
    factor: float = 2.0
    max_s: float = 30.0
    jitter: float = 0.1  # fraction: 0.1 spreads each delay over ±10 %

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("Backoff.attempts must be at least 1")
        if self.base_s < 0 or self.factor < 1 or self.max_s < 0 or not 0 <= self.jitter < 1:
            raise ValueError("Backoff needs base_s >= 0, factor >= 1, max_s >= 0, 0 <= jitter < 1")

    def delay(self, retry: int, rand: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (0 = the first retry); `rand` in
        [0, 1) picks a point in the jitter band (0.5 = the middle; None = at random)."""
        point = random.random() if rand is None else rand
        raw = min(self.max_s, self.base_s * self.factor ** min(retry, MAX_DOUBLINGS))
        return min(self.max_s, raw * (1 + self.jitter * (2 * point - 1)))


# Reconnecting a dropped stream: from half a second up to 30 s, spread widely.
RECONNECT = Backoff(base_s=0.5, max_s=30.0, jitter=0.5)


def hinted_delay(exc: BaseException) -> float | None:
    hint = getattr(exc, "retry_after_s", None)
    return float(hint) if isinstance(hint, int | float) and hint >= 0 else None


async def retry_async(
    action: Callable[[], Awaitable[T]],
    backoff: Backoff,
    *,
    retry_if: Callable[[Exception], bool] = lambda _exc: True,
    sleep: Sleep = asyncio.sleep,
    rand: Callable[[], float] = random.random,
    what: str = "call",
) -> T:
    """Run `action` until it succeeds or `backoff.attempts` tries failed; the last error
    is raised. Errors `retry_if` rejects (a 4xx that will never succeed) raise at once.
    Cancellation is never retried."""
    failures = 0
    while True:
        try:
            return await action()
        except Exception as exc:
            failures += 1
            if failures >= backoff.attempts or not retry_if(exc):
                raise
            delay = hinted_delay(exc)
            if delay is None:
                delay = backoff.delay(failures - 1, rand())
            log.info("%s failed (%s); retry %d in %.2f s", what, exc, failures, delay)
            await sleep(delay)
