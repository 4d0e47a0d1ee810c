"""The Upbit parts a trader is built from: the public market feed, the symbols' order
rules, and recent closed candles to warm up on. No keys and no broker: the paper broker
trades on Upbit's prices until the live gate brings Upbit's own (live_parts.py).

`build_upbit_parts` doubles as the reachability probe: if Upbit's public API does not
answer (or does not list a symbol), it raises UpbitUnavailable and the caller falls back
to the simulated market, saying so."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tui_trader.clock import Clock
from tui_trader.config import Settings
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Candle
from tui_trader.domain.rules import SymbolRules
from tui_trader.resilience.retry import Backoff
from tui_trader.upbit.candles import closed_candle
from tui_trader.upbit.feed import UpbitFeed
from tui_trader.upbit.quotation import PAGE, Quotation, UpbitError, close_of
from tui_trader.upbit.rules import upbit_rules

log = logging.getLogger(__name__)
SafetyListener = Callable[[SafetyEvent], None]


class UpbitUnavailable(Exception):
    """Upbit's public API cannot be used (unreachable, or refuses the symbols)."""


@dataclass(frozen=True, slots=True)
class UpbitTiming:
    """Timeouts and intervals of the Upbit parts; tests shrink them."""

    request_timeout_s: float = 10.0
    pause_s: float = 1.0  # Remaining-Req / 429 waits
    stale_after_s: float = 10.0  # the socket silent this long (PING unanswered) is replaced
    grace_s: float = 3.0  # a forming candle is closed this long after its interval
    backoff: Backoff | None = None  # reconnects
    retry: Backoff | None = None  # Upbit unreachable at start: tries again this often
    poll_s: float = 2.0  # live: orders still working are queried this often for fills
    asset_settle_s: float = 2.0  # live: a myAsset report is checked this long after it came


@dataclass(slots=True)
class UpbitParts:
    feed: UpbitFeed
    rules: dict[str, SymbolRules]
    history: list[Candle] = field(default_factory=list)  # closed candles to warm up on
    broker: None = None  # paper until the live gate (live_parts.py)

    @property
    def label(self) -> str:
        return "Upbit market data, paper broker"


async def build_upbit_parts(
    settings: Settings,
    *,
    clock: Clock,
    on_safety: SafetyListener,
    timing: UpbitTiming = UpbitTiming(),
    history: int = 0,
) -> UpbitParts:
    """Rules and feed for the configured symbols, and `history` closed candles per
    symbol. Raises UpbitUnavailable when Upbit's public API cannot be used."""
    api = settings.upbit_api_url
    try:
        async with Quotation(api, timing.request_timeout_s, timing.pause_s) as upbit:
            ticks = await upbit.tick_sizes(settings.symbols)
            candles = await _history(upbit, settings, history, clock, on_safety)
    except UpbitError as exc:
        raise UpbitUnavailable(f"Upbit refused: {exc}") from None
    except Exception as exc:  # unreachable, timed out, closed on us
        raise UpbitUnavailable(f"Upbit unreachable: {type(exc).__name__}: {exc}") from None
    missing = sorted(set(settings.symbols) - set(ticks))
    if missing:
        raise UpbitUnavailable(f"symbols unknown to Upbit: {', '.join(missing)}")
    rules = {s: upbit_rules(s, settings.quote_asset, ticks[s]) for s in settings.symbols}
    feed = UpbitFeed(
        settings.symbols,
        settings.candle_interval,
        clock=clock,
        api_url=api,
        ws_url=settings.upbit_ws_url,
        on_safety=on_safety,
        stale_after_s=timing.stale_after_s,
        grace_s=timing.grace_s,
        backoff=timing.backoff,
        request_timeout_s=timing.request_timeout_s,
    )
    feed.known(candles)
    return UpbitParts(feed, rules, candles)


async def _history(
    upbit: Quotation, settings: Settings, count: int, clock: Clock, on_safety: SafetyListener
) -> list[Candle]:
    """The last `count` closed candles of every symbol, oldest first per symbol; none
    (and a warning) when Upbit does not give them: strategies then warm up live."""
    found: list[Candle] = []
    try:
        for symbol in settings.symbols if count > 0 else ():
            found += await _recent(upbit, symbol, settings.candle_interval, count, clock.now())
    except UpbitError as exc:  # history is a convenience: never a reason not to trade
        message = f"no candle history for the warm-up ({exc})"
        on_safety(SafetyEvent(clock.now(), Severity.WARNING, SafetyKind.FEED_ERROR, message))
        return []
    return found


async def _recent(
    upbit: Quotation, symbol: str, interval: str, count: int, now: datetime
) -> list[Candle]:
    closed: list[Candle] = []
    before = now
    while len(closed) < count:
        page = await upbit.candles(symbol, interval, before)
        done = [closed_candle(symbol, c, interval) for c in page if close_of(c, interval) <= now]
        closed = done + closed
        if len(page) < PAGE:
            break  # the pair's whole history
        before = page[0].open_time
    return closed[-count:]
