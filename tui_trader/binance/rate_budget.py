"""Slowing down before Binance's rate limits, not after: every REST reply says how much of
each limit is used (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S, ...); the limits come
from exchangeInfo's `rateLimits`. Once a counter passes SLOW_AT of its limit, requests
that count against it wait for the counter's window to roll over (Binance's windows are
aligned to the clock: a 1-minute counter resets at the top of each minute).

Pure and synchronous: the ApiCaller feeds replies in and asks how long to wait."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tui_trader.domain.enums import MarketKind

SLOW_AT = 0.9  # share of a limit after which requests wait for the next window

_UNITS = {"SECOND": ("s", 1), "MINUTE": ("m", 60), "HOUR": ("h", 3600), "DAY": ("d", 86400)}
_HEADERS = {"REQUEST_WEIGHT": "x-mbx-used-weight-", "ORDERS": "x-mbx-order-count-"}


@dataclass(frozen=True, slots=True)
class RateLimit:
    header: str  # lower case, e.g. "x-mbx-used-weight-1m"
    limit: int
    window_s: int
    orders_only: bool  # an order counter: only order placements wait on it


# Until exchangeInfo has been read (documented defaults, 2026).
DEFAULT_LIMITS = {
    MarketKind.SPOT: (
        RateLimit("x-mbx-used-weight-1m", 6000, 60, False),
        RateLimit("x-mbx-order-count-10s", 100, 10, True),
        RateLimit("x-mbx-order-count-1d", 200_000, 86400, True),
    ),
    MarketKind.FUTURES: (
        RateLimit("x-mbx-used-weight-1m", 2400, 60, False),
        RateLimit("x-mbx-order-count-10s", 300, 10, True),
        RateLimit("x-mbx-order-count-1m", 1200, 60, True),
    ),
}


def limits_from_exchange_info(rows: Iterable[Mapping[str, Any]]) -> tuple[RateLimit, ...]:
    """exchangeInfo `rateLimits` → the limits with a reply header (RAW_REQUESTS has
    none). Rows that do not parse are left out: the defaults stay for those."""
    limits = []
    for row in rows:
        try:
            prefix = _HEADERS[str(row["rateLimitType"])]
            unit, seconds = _UNITS[str(row["interval"])]
            count, limit = int(row["intervalNum"]), int(row["limit"])
        except (KeyError, TypeError, ValueError):
            continue
        if count > 0 and limit > 0:
            orders = row["rateLimitType"] == "ORDERS"
            limits.append(RateLimit(f"{prefix}{count}{unit}", limit, count * seconds, orders))
    return tuple(limits)


@dataclass(frozen=True, slots=True)
class Slowdown:
    wait_s: float
    reason: str  # e.g. "x-mbx-used-weight-1m at 5400 of 6000"
    window_end: float  # epoch seconds when the counter resets


class RateBudget:
    def __init__(self, limits: Iterable[RateLimit]) -> None:
        self._limits: dict[str, RateLimit] = {}
        self._used: dict[str, tuple[int, float]] = {}  # header -> (used, seen at, epoch s)
        self.set_limits(limits)

    def set_limits(self, limits: Iterable[RateLimit]) -> None:
        """Replace the limits named (exchangeInfo's); others stay as they were."""
        self._limits |= {limit.header: limit for limit in limits}

    def observe(self, headers: Mapping[str, str], now: float) -> None:
        """Take a reply's headers in (any case); a value that is not a count is ignored."""
        for name, value in headers.items():
            header = name.lower()
            # Kept even before the limit is known: exchangeInfo's own reply says usage.
            if header.startswith(tuple(_HEADERS.values())):
                try:
                    self._used[header] = (int(value), now)
                except ValueError:
                    continue

    def slowdown(self, now: float, *, order: bool) -> Slowdown | None:
        """The longest wait any nearly used-up counter asks of this request, or None."""
        worst: Slowdown | None = None
        for header, (used, seen_at) in self._used.items():
            limit = self._limits.get(header)
            if limit is None or (limit.orders_only and not order) or used < SLOW_AT * limit.limit:
                continue
            window_end = (seen_at // limit.window_s + 1) * limit.window_s
            if now >= window_end:
                continue  # the counter has reset since
            if worst is None or window_end - now > worst.wait_s:
                reason = f"{header} at {used} of {limit.limit}"
                worst = Slowdown(window_end - now, reason, window_end)
        return worst
