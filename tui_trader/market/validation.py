"""Sanity checks on market data: feeds drop unusable events and report them, never yield them.

A check returns the reason an event is unusable, or None. Non-finite and out-of-range
values (NaN, Infinity, 1e999999, 1e-999999) are caught first: ordering comparisons on a
Decimal NaN raise instead of answering, and extreme exponents overflow later arithmetic.
Messages quote at most 40 characters of a value.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Candle, Tick
from tui_trader.numbers import clip, range_problem

BadDataCallback = Callable[[SafetyEvent], None]


def _not_finite(values: tuple[tuple[str, Decimal], ...]) -> str | None:
    """Not finite, or outside the range we compute with: 1e999999 would print a megabyte
    in the next message and 1e-999999 overflow the next division (numbers.py)."""
    for name, value in values:
        problem = range_problem(value)
        if problem is not None:
            return f"{name} is {problem} ({clip(str(value))})"
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
    """The safety event a feed reports when it drops an event; `raw` values become
    strings of at most 40 characters."""
    return SafetyEvent(
        ts=ts,
        severity=Severity.WARNING,
        kind=SafetyKind.BAD_MARKET_DATA,
        message=f"{symbol}: dropped market data: {reason}",
        symbol=symbol,
        data={key: clip(str(value)) for key, value in raw.items()},
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
    event = bad_data_event(candle.symbol, candle.close_time, reason, raw)
    if source:  # a file and line of ours: never clipped like the values
        event = replace(event, data={**event.data, "source": source})
    return event


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
