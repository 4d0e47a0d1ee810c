"""Is Alpaca usable, as `doctor --online` and `selftest --online` ask on VENUE=alpaca: the
keys (environment, then the keyring's `alpaca`), the trading API's clock (whose answer
also says whether the market is open now, and how far our clock is from Alpaca's), and
the market data API answering one bars request for the symbols. One line either way."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tui_trader.alpaca.errors import AlpacaError
from tui_trader.alpaca.hours_fetch import get_json
from tui_trader.alpaca.keys import AlpacaKeys, alpaca_keys
from tui_trader.config import Settings

if TYPE_CHECKING:  # the store imports keyring
    from tui_trader.secrets.store import SecretStore

MAX_SKEW_S = 2.0


class ProbeFailed(Exception):
    """Alpaca cannot be used; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class AlpacaReach:
    market_open: bool
    next_change: str  # when the market next opens (closed) or closes (open)
    skew_s: float
    feed: str

    @property
    def ok(self) -> bool:
        return abs(self.skew_s) <= MAX_SKEW_S

    def describe(self) -> str:
        market = "open, closes" if self.market_open else "closed, opens"
        skew = f"clock about {abs(self.skew_s):.0f} s off"
        return f"Alpaca reachable, keys accepted, {self.feed} data answers; market {market} " + (
            f"{self.next_change}; {skew}"
        )


async def probe_keys(env: Mapping[str, str], store: "SecretStore | None") -> AlpacaKeys:
    try:
        return await alpaca_keys(env, store)
    except ValueError as exc:
        raise ProbeFailed(str(exc)) from None


async def reach_alpaca(
    settings: Settings, keys: AlpacaKeys, now: datetime, timeout_s: float = 15.0
) -> AlpacaReach:
    """Ask the clock and one bars request; ProbeFailed with the reason."""
    tickers = ",".join(s.removesuffix("USD") for s in settings.symbols)
    query = {"symbols": tickers, "timeframe": "1Min", "limit": "1", "feed": settings.alpaca_feed,
             "start": (now - timedelta(days=7)).isoformat(), "end": now.isoformat()}  # fmt: skip
    try:
        clock = await get_json(settings.alpaca_trading_url, "/v2/clock", keys, timeout_s)
        bars = await get_json(settings.alpaca_data_url, "/v2/stocks/bars", keys, timeout_s, query)
    except AlpacaError as exc:
        raise ProbeFailed(str(exc)) from None
    except Exception as exc:  # unreachable, timed out
        raise ProbeFailed(f"Alpaca unreachable: {type(exc).__name__}: {exc}") from None
    if not isinstance(bars, dict) or "bars" not in bars:
        raise ProbeFailed(f"Alpaca's bars reply is not bars: {str(bars)[:80]}")
    try:
        assert isinstance(clock, dict)
        market_open = bool(clock["is_open"])
        theirs = datetime.fromisoformat(str(clock["timestamp"]))
        change = datetime.fromisoformat(str(clock["next_close" if market_open else "next_open"]))
    except (AssertionError, KeyError, ValueError, TypeError):
        raise ProbeFailed(f"Alpaca's clock reply not understood: {str(clock)[:80]}") from None
    skew = (now - theirs).total_seconds()
    return AlpacaReach(market_open, f"{change:%a %H:%M %Z}".strip(), skew, settings.alpaca_feed)


async def alpaca_line(settings: Settings, now: datetime, store: "SecretStore | None") -> str:
    """The probe as one line, for selftest and doctor: raises ProbeFailed."""
    keys = await probe_keys(os.environ, store)
    reach = await reach_alpaca(settings, keys, now)
    if not reach.ok:
        raise ProbeFailed(f"{reach.describe()}: fix NTP (timedatectl set-ntp true)")
    return reach.describe()
