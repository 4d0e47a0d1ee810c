"""The Alpaca parts a trader is built from: the market hours (Alpaca's calendar), the
stream feed, the stocks' order rules, and recent closed candles to warm up on. Paper
only: orders go to the paper broker, on Alpaca's prices.

`build_alpaca_parts` doubles as the reachability probe: Alpaca's calendar is fetched
first, with the keys, so wrong keys or an unreachable Alpaca raise AlpacaUnavailable
with the reason, and the caller falls back to the simulated market, saying so. The SDK
(alpaca/bars.py, synchronous) only ever runs in a thread."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui_trader.alpaca.bar_closer import bucket_of, step_of
from tui_trader.alpaca.bars import StockBars
from tui_trader.alpaca.errors import AlpacaError
from tui_trader.alpaca.feed import AlpacaFeed
from tui_trader.alpaca.hours import NEW_YORK, MarketHours
from tui_trader.alpaca.hours_fetch import HoursKeeper, fetch_hours
from tui_trader.alpaca.keys import AlpacaKeys
from tui_trader.alpaca.rules import stock_rules
from tui_trader.clock import Clock
from tui_trader.config import Settings
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Candle
from tui_trader.domain.rules import SymbolRules
from tui_trader.resilience.retry import Backoff

log = logging.getLogger(__name__)
SafetyListener = Callable[[SafetyEvent], None]


class AlpacaUnavailable(Exception):
    """Alpaca cannot be used (no keys, keys refused, unreachable)."""


@dataclass(frozen=True, slots=True)
class AlpacaTiming:
    """Timeouts and intervals of the Alpaca parts; tests shrink them."""

    request_timeout_s: float = 10.0
    stale_after_s: float = 150.0  # open market this long without a bar: reconnect
    heartbeat_s: float = 20.0  # websocket pings: a dead connection noticed at night too
    grace_s: float = 5.0  # a candle missing its last minute is closed this long after
    check_every_s: float = 1.0
    backoff: Backoff | None = None  # reconnects
    retry: Backoff | None = None  # Alpaca unreachable at start: tried again this often


@dataclass(slots=True)
class AlpacaParts:
    feed: AlpacaFeed
    rules: dict[str, SymbolRules]
    hours: HoursKeeper  # the order side asks it whether the market is open
    history: list[Candle] = field(default_factory=list)  # closed candles to warm up on
    broker: None = None  # paper

    @property
    def label(self) -> str:
        return "Alpaca market data, paper broker"


async def build_alpaca_parts(
    settings: Settings,
    keys: AlpacaKeys,
    *,
    clock: Clock,
    on_safety: SafetyListener,
    timing: AlpacaTiming = AlpacaTiming(),
    history: int = 0,
) -> AlpacaParts:
    """Hours, rules and feed for the configured symbols, and `history` closed candles
    per symbol. Raises AlpacaUnavailable saying why Alpaca cannot be used."""
    now = clock.now()
    try:
        hours = await fetch_hours(
            settings.alpaca_trading_url, keys, now.astimezone(NEW_YORK).date(),
            timing.request_timeout_s,
        )  # fmt: skip
    except AlpacaError as exc:
        raise AlpacaUnavailable(str(exc)) from None
    except Exception as exc:  # unreachable, timed out, closed on us
        raise AlpacaUnavailable(f"Alpaca unreachable: {type(exc).__name__}: {exc}") from None
    bars = StockBars(keys.key_id, keys.secret, settings.alpaca_data_url, settings.alpaca_feed)
    candles = await _history(bars, settings, hours, history, now, on_safety)
    last = {c.symbol: c.close for c in candles}
    rules = {s: stock_rules(s, last.get(s)) for s in settings.symbols}
    feed = AlpacaFeed(
        settings.symbols,
        settings.candle_interval,
        clock=clock,
        keys=keys,
        hours=HoursKeeper(hours, settings.alpaca_trading_url, keys, clock),
        stream_url=f"{settings.alpaca_stream_url}/{settings.alpaca_feed}",
        minutes=lambda symbol, start, end: bars.bars(symbol, "1m", start, end),
        on_safety=on_safety,
        stale_after_s=timing.stale_after_s,
        heartbeat_s=timing.heartbeat_s,
        grace_s=timing.grace_s,
        check_every_s=timing.check_every_s,
        backoff=timing.backoff,
        request_timeout_s=timing.request_timeout_s,
    )
    feed.known(candles)
    return AlpacaParts(feed, rules, feed.hours, candles)


async def _history(
    bars: StockBars,
    settings: Settings,
    hours: MarketHours,
    count: int,
    now: datetime,
    on_safety: SafetyListener,
) -> list[Candle]:
    """The last `count` closed candles of every symbol, oldest first per symbol, looked
    for only over open market; none (and a warning) when Alpaca does not give them."""
    from tui_trader.alpaca.bar_closer import candle_of

    interval = settings.candle_interval
    step = step_of(interval)
    end = bucket_of(now, step)  # the forming candle is not asked for
    start = hours.start_for(end, count * step.total_seconds()) - timedelta(minutes=1)
    found: list[Candle] = []
    try:
        for symbol in settings.symbols if count > 0 else ():
            rows = await asyncio.to_thread(bars.bars, symbol, interval, start, end)
            found += [candle_of(symbol, bar, interval) for bar in rows[-count:]]
    except AlpacaError as exc:  # history is a convenience: never a reason not to trade
        message = f"no candle history for the warm-up ({exc})"
        on_safety(SafetyEvent(now, Severity.WARNING, SafetyKind.FEED_ERROR, message))
        return []
    return found
