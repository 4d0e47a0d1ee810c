"""Sanity checks on market data: feeds drop unusable events and report them, never yield them.

A check returns the reason an event is unusable, or None. Non-finite values (NaN, Infinity)
are caught first because ordering comparisons on a Decimal NaN raise instead of answering.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle, Tick

BadDataCallback = Callable[[SafetyEvent], None]


def _not_finite(values: tuple[tuple[str, Decimal], ...]) -> str | None:
    for name, value in values:
        if not value.is_finite():
            return f"{name} is not a finite number ({value})"
    return None


def _non_positive(values: tuple[tuple[str, Decimal], ...]) -> str | None:
    for name, value in values:
        if value <= 0:
            return f"non-positive {name} {value}"
    return None


def check_tick(tick: Tick) -> str | None:
    """Why `tick` is unusable, or None when it is fine."""
    prices = (("price", tick.price), ("bid", tick.bid), ("ask", tick.ask))
    reason = _not_finite((*prices, ("volume", tick.volume))) or _non_positive(prices)
    if reason:
        return reason
    if tick.bid > tick.ask:
        return f"bid {tick.bid} above ask {tick.ask}"
    if tick.volume < 0:
        return f"negative volume {tick.volume}"
    return None


def check_candle(candle: Candle) -> str | None:
    """Why `candle` is unusable, or None when it is fine."""
    low, high = candle.low, candle.high
    prices = (("open", candle.open), ("high", high), ("low", low), ("close", candle.close))
    reason = _not_finite((*prices, ("volume", candle.volume))) or _non_positive(prices)
    if reason:
        return reason
    if high < low:
        return f"high {high} below low {low}"
    for name, value in (prices[0], prices[3]):
        if not low <= value <= high:
            return f"{name} {value} outside [low {low}, high {high}]"
    if candle.volume < 0:
        return f"negative volume {candle.volume}"
    return None


def bad_data_event(symbol: str, ts: datetime, reason: str, raw: dict[str, object]) -> SafetyEvent:
    """The safety event a feed reports when it drops an event; `raw` values become strings."""
    return SafetyEvent(
        ts=ts,
        severity=Severity.WARNING,
        kind="bad_market_data",
        message=f"{symbol}: dropped market data: {reason}",
        symbol=symbol,
        data={key: str(value) for key, value in raw.items()},
    )


def tick_event(tick: Tick, reason: str) -> SafetyEvent:
    raw: dict[str, object] = {
        "price": tick.price,
        "bid": tick.bid,
        "ask": tick.ask,
        "volume": tick.volume,
        "ts": tick.ts.isoformat(),
    }
    return bad_data_event(tick.symbol, tick.ts, reason, raw)


def candle_event(candle: Candle, reason: str, source: str = "") -> SafetyEvent:
    raw: dict[str, object] = {
        "open_time": candle.open_time.isoformat(),
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
    }
    if source:
        raw["source"] = source
    return bad_data_event(candle.symbol, candle.close_time, reason, raw)


def screen_tick(tick: Tick, on_bad_data: BadDataCallback | None) -> bool:
    """True when `tick` may be yielded; otherwise reports it (if anyone listens)."""
    reason = check_tick(tick)
    if reason is None:
        return True
    if on_bad_data is not None:
        on_bad_data(tick_event(tick, reason))
    return False


def screen_candle(candle: Candle, on_bad_data: BadDataCallback | None, source: str = "") -> bool:
    """True when `candle` may be yielded; otherwise reports it (if anyone listens)."""
    reason = check_candle(candle)
    if reason is None:
        return True
    if on_bad_data is not None:
        on_bad_data(candle_event(candle, reason, source))
    return False
