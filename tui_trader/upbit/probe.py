"""`selftest --online` and `doctor --online` on VENUE=upbit: can Upbit's public API be
reached, does it list the symbols, and how far is our clock from its `Date` header.

Upbit has no server-time endpoint; the `Date` header has one-second resolution, so the
skew is known to within a second. Upbit's public data carries no signature or nonce that
a skew would break; it decides when our candles close, and there a few seconds matter."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from tui_trader.upbit.quotation import Quotation

SKEW_LIMIT_S = 2.0  # beyond the header's resolution and a slow reply


@dataclass(frozen=True, slots=True)
class Reach:
    latency_ms: float
    skew_s: float
    missing: tuple[str, ...]  # symbols Upbit does not list

    def describe(self) -> str:
        text = f"Upbit reachable in {self.latency_ms:.0f} ms, clock about {self.skew_s:.0f} s off"
        return text + (f"; not listed: {', '.join(self.missing)}" if self.missing else "")

    @property
    def ok(self) -> bool:
        return not self.missing and self.skew_s <= SKEW_LIMIT_S


async def reach_upbit(api_url: str, symbols: tuple[str, ...], timeout_s: float = 15.0) -> Reach:
    """Raises whatever the request raises (UpbitError, aiohttp's errors, TimeoutError)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with Quotation(api_url, timeout_s) as upbit:
        listed = await upbit.tick_sizes(symbols)
        latency_ms = (loop.time() - started) * 1000
        asked_at = datetime.now(UTC)
        said = upbit.server_time or asked_at
    skew = max(0.0, abs((said - asked_at).total_seconds()) - 1.0)  # the header's resolution
    missing = tuple(s for s in symbols if s not in listed)
    return Reach(latency_ms, skew, missing)
