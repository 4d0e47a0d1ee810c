"""`selftest --online` and `doctor --online` on VENUE=upbit: can Upbit's public API be
reached, does it list the symbols, and how far is our clock from its `Date` header.

Upbit has no server-time endpoint; the `Date` header has one-second resolution, so the
skew is known to within a second. Upbit's public data carries no signature or nonce that
a skew would break; it decides when our candles close, and there a few seconds matter.

The whole probe has one deadline: Quotation retries a 429 or a 5xx and each request has
its own timeout, so without it a server that stalls could keep a check waiting minutes."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from tui_trader.text_safety import printable
from tui_trader.upbit.quotation import Quotation, UpbitError

SKEW_LIMIT_S = 2.0  # beyond the header's resolution and a slow reply


class ProbeFailed(Exception):
    """No usable answer from Upbit; the message is one printable line."""


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
    """Raises ProbeFailed saying why, within about `timeout_s`."""
    try:
        async with asyncio.timeout(timeout_s):
            return await _ask(api_url, symbols, timeout_s)
    except TimeoutError:  # before ClientError: aiohttp's own timeouts are both
        why = f"Upbit unreachable: no answer from {api_url} within {timeout_s:g} s"
    except aiohttp.ClientError as exc:
        why = f"Upbit unreachable: {type(exc).__name__}: {exc}"
    except UpbitError as exc:  # an error body, a 418, a reply that is not what Upbit sends
        why = f"Upbit's answer is unusable: {exc}"
    raise ProbeFailed(printable(why, 300))


async def _ask(api_url: str, symbols: tuple[str, ...], timeout_s: float) -> Reach:
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
