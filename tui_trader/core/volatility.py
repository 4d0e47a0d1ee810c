"""Volatility triggers: a fast price move on ticks, a wide or heavy candle.

Ticks: the price moved >= mp_delta_pct % within the last mp_window_sec seconds of event
time (up from the window's lowest price, or down from its highest). Two monotonic deques
keep the window's min and max, so each tick costs amortized O(1). A direction that fired
stays quiet until its move falls back below the threshold (then it re-arms), so a
persisting move is reported once, not on every tick.
Candles (closed only): range (high - low) / low >= kline_range_pct %; volume >= vol_mult
x the mean volume of the previous vol_lookback candles of that symbol.

Every trigger is logged at INFO on "tui_trader.core.volatility", every near miss (>= 80 % of
its threshold) at DEBUG, both with delta_pct, threshold_pct, base and current price."""

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tui_trader.domain.market import Candle, Tick
from tui_trader.indicators import RollingMean

log = logging.getLogger("tui_trader.core.volatility")

NEAR_MISS_SHARE = 0.8


class TriggerKind(StrEnum):
    PRICE_MOVE = "price_move"  # delta_pct signed: negative for a drop
    KLINE_RANGE = "kline_range"  # base = candle low, current = candle high
    VOLUME_SPIKE = "volume_spike"  # delta_pct = volume as % of the mean; base/current = open/close


@dataclass(frozen=True, slots=True)
class VolatilityTrigger:
    kind: TriggerKind
    symbol: str
    ts: datetime
    delta_pct: float
    threshold_pct: float
    base_price: Decimal
    current_price: Decimal


Entry = tuple[float, float, Decimal]  # event time (s), price, the same price as Decimal


class _PriceWindow:
    """One symbol's ticks over the window: `lows` rises front to back (front = min),
    `highs` falls front to back (front = max). Each tick enters and leaves once."""

    __slots__ = ("down_armed", "highs", "last_ts", "lows", "up_armed")

    def __init__(self) -> None:
        self.lows: deque[Entry] = deque()
        self.highs: deque[Entry] = deque()
        self.last_ts = float("-inf")
        self.up_armed = True
        self.down_armed = True

    def push(self, entry: Entry, horizon_s: float) -> tuple[Entry, Entry]:
        lows, highs, price = self.lows, self.highs, entry[1]
        while lows and lows[-1][1] >= price:
            lows.pop()
        lows.append(entry)
        while highs and highs[-1][1] <= price:
            highs.pop()
        highs.append(entry)
        oldest = entry[0] - horizon_s
        while lows[0][0] < oldest:
            lows.popleft()
        while highs[0][0] < oldest:
            highs.popleft()
        return lows[0], highs[0]


class VolatilityDetector:
    def __init__(
        self,
        mp_delta_pct: float,
        mp_window_sec: float,
        kline_range_pct: float,
        vol_mult: float,
        vol_lookback: int,
    ) -> None:
        for label, value in (
            ("mp_delta_pct", mp_delta_pct),
            ("mp_window_sec", mp_window_sec),
            ("kline_range_pct", kline_range_pct),
            ("vol_mult", vol_mult),
            ("vol_lookback", vol_lookback),
        ):
            if not value > 0:
                raise ValueError(f"VolatilityDetector: {label}={value!r}: must be > 0")
        self._move_pct = float(mp_delta_pct)
        self._window_s = float(mp_window_sec)
        self._range_pct = float(kline_range_pct)
        self._volume_pct = float(vol_mult) * 100.0
        self._lookback = int(vol_lookback)
        self._windows: dict[str, _PriceWindow] = {}
        self._volumes: dict[str, RollingMean] = {}

    def reset(self) -> None:
        self._windows.clear()
        self._volumes.clear()

    def on_tick(self, tick: Tick) -> list[VolatilityTrigger]:
        price = float(tick.price)
        if price <= 0.0:
            return []
        window = self._windows.get(tick.symbol)
        if window is None:
            window = self._windows[tick.symbol] = _PriceWindow()
        # A late tick is placed at the latest time seen so the deques stay in time order.
        window.last_ts = max(window.last_ts, tick.ts.timestamp())
        low, high = window.push((window.last_ts, price, tick.price), self._window_s)
        found: list[VolatilityTrigger] = []
        rise = (price - low[1]) / low[1] * 100.0
        window.up_armed = self._judge_move(found, tick, rise, low[2], window.up_armed)
        drop = (high[1] - price) / high[1] * 100.0
        window.down_armed = self._judge_move(found, tick, -drop, high[2], window.down_armed)
        return found

    def on_candle(self, candle: Candle) -> list[VolatilityTrigger]:
        if not candle.closed:
            return []  # a forming candle would count its volume twice
        found: list[VolatilityTrigger] = []
        symbol, ts, low = candle.symbol, candle.close_time, float(candle.low)
        if low > 0.0:
            spread = (float(candle.high) - low) / low * 100.0
            kind = TriggerKind.KLINE_RANGE
            trigger = VolatilityTrigger(
                kind, symbol, ts, spread, self._range_pct, candle.low, candle.high
            )
            _judge_level(found, trigger)
        volumes = self._volumes.get(symbol)
        if volumes is None:
            volumes = self._volumes[symbol] = RollingMean(self._lookback)
        mean = volumes.value  # of the previous candles: read before adding this one
        volume = float(candle.volume)
        volumes.update(volume)
        if mean is not None and mean > 0.0:
            share = volume / mean * 100.0
            kind = TriggerKind.VOLUME_SPIKE
            trigger = VolatilityTrigger(
                kind, symbol, ts, share, self._volume_pct, candle.open, candle.close
            )
            _judge_level(found, trigger)
        return found

    def _judge_move(
        self, found: list[VolatilityTrigger], tick: Tick, delta: float, base: Decimal, armed: bool
    ) -> bool:
        """Report one direction's move; returns whether that direction is armed after."""
        threshold = self._move_pct
        size = abs(delta)
        fired = size >= threshold
        if (fired and armed) or (not fired and size >= NEAR_MISS_SHARE * threshold and _debug()):
            kind = TriggerKind.PRICE_MOVE
            trigger = VolatilityTrigger(
                kind, tick.symbol, tick.ts, delta, threshold, base, tick.price
            )
            _log(trigger, fired)
            if fired:
                found.append(trigger)
        return not fired


def _judge_level(found: list[VolatilityTrigger], trigger: VolatilityTrigger) -> None:
    if trigger.delta_pct >= trigger.threshold_pct:
        found.append(trigger)
        _log(trigger, fired=True)
    elif trigger.delta_pct >= NEAR_MISS_SHARE * trigger.threshold_pct and _debug():
        _log(trigger, fired=False)


def _debug() -> bool:
    # Near misses can come on every tick: only build and log them when someone listens.
    return log.isEnabledFor(logging.DEBUG)


def _log(trigger: VolatilityTrigger, fired: bool) -> None:
    """A trigger at INFO, a near miss at DEBUG, with the numbers in the text and as fields."""
    log.log(
        logging.INFO if fired else logging.DEBUG,
        "volatility %s %s %s: delta_pct=%.4f threshold_pct=%.4f base=%s current=%s",
        "trigger" if fired else "near miss",
        trigger.kind.value,
        trigger.symbol,
        trigger.delta_pct,
        trigger.threshold_pct,
        trigger.base_price,
        trigger.current_price,
        extra={
            "trigger_kind": trigger.kind.value,
            "symbol": trigger.symbol,
            "delta_pct": trigger.delta_pct,
            "threshold_pct": trigger.threshold_pct,
            "base_price": str(trigger.base_price),
            "current_price": str(trigger.current_price),
        },
    )
