"""Per-symbol circuit breaker: no new entries while a symbol has moved too far from the
previous UTC day's close."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.clock import utc_day_start
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Candle, Tick

# A tripped symbol clears once its move is back under this share of the threshold.
CLEAR_SHARE = Decimal("0.8")


@dataclass(slots=True)
class _SymbolDay:
    day: datetime | None  # UTC day of the last price seen; None until the first price
    last: Decimal  # last price seen in `day`
    prev_close: Decimal | None  # last price seen before `day` began (or seeded)
    tripped: bool = False


class CircuitBreaker:
    """Trips a symbol when |price − previous close| / previous close ≥ pct (in percent).

    The previous close is the last price seen before 00:00 UTC. A tripped symbol un-trips
    when the move falls back below CLEAR_SHARE of the threshold (hysteresis: a price
    hovering at the threshold must not flip the breaker on and off every tick) or when a
    new UTC day begins (its previous close is then the last price of the day that
    tripped). Events from a day already left behind are ignored."""

    def __init__(self, pct: Decimal) -> None:
        if not pct > 0:
            raise ValueError(f"circuit breaker pct must be positive, got {pct}")
        self.pct = pct
        self._symbols: dict[str, _SymbolDay] = {}

    @property
    def tripped(self) -> frozenset[str]:
        return frozenset(symbol for symbol, st in self._symbols.items() if st.tripped)

    def previous_close(self, symbol: str) -> Decimal | None:
        state = self._symbols.get(symbol)
        return state.prev_close if state is not None else None

    def seed_previous_close(self, symbol: str, price: Decimal) -> None:
        """Set the previous close for the current day (e.g. from yesterday's daily kline
        at start-up, so the breaker works before the first midnight)."""
        if not price > 0:
            raise ValueError(f"previous close for {symbol} must be positive, got {price}")
        state = self._symbols.get(symbol)
        if state is None:
            self._symbols[symbol] = _SymbolDay(day=None, last=price, prev_close=price)
        else:
            state.prev_close = price

    def on_tick(self, tick: Tick) -> SafetyEvent | None:
        return self.observe(tick.symbol, tick.price, tick.ts)

    def on_candle(self, candle: Candle) -> SafetyEvent | None:
        # A forming candle's close_time lies in the future; its open_time is the latest
        # moment known to be past, and both fall in the same UTC day.
        ts = candle.close_time if candle.closed else candle.open_time
        return self.observe(candle.symbol, candle.close, ts)

    def observe(self, symbol: str, price: Decimal, ts: datetime) -> SafetyEvent | None:
        """`symbol` traded at `price` at `ts` (what on_tick and on_candle report)."""
        if not price > 0:
            return None  # feeds drop such prices; never let one trip or un-trip a symbol
        day = utc_day_start(ts)
        state = self._symbols.setdefault(symbol, _SymbolDay(day=None, last=price, prev_close=None))
        new_day = state.day is not None and day > state.day
        if state.day is not None and day < state.day:
            return None
        if new_day:
            state.prev_close = state.last
        state.day, state.last = day, price
        return self._evaluate(symbol, state, ts, new_day)

    def _evaluate(
        self, symbol: str, state: _SymbolDay, ts: datetime, new_day: bool
    ) -> SafetyEvent | None:
        if state.prev_close is None:
            return None
        move_pct = abs(state.last - state.prev_close) / state.prev_close * 100
        limit = self.pct * CLEAR_SHARE if state.tripped and not new_day else self.pct
        trip = move_pct >= limit
        if trip == state.tripped:
            return None
        state.tripped = trip
        data = {
            "price": str(state.last),
            "previous_close": str(state.prev_close),
            "move_pct": format(move_pct, ".4f"),
            "threshold_pct": str(self.pct),
            "tripped": trip,
        }
        if trip:
            message = (
                f"{symbol} moved {data['move_pct']}% from the previous close "
                f"{state.prev_close} (threshold {self.pct}%): no new entries"
            )
            return SafetyEvent(
                ts, Severity.CRITICAL, SafetyKind.CIRCUIT_BREAKER, message, symbol, data
            )
        share = f"{CLEAR_SHARE:.0%} of the threshold"
        back = f"the move fell back below {format(limit, 'f')}% ({share})"
        why = "a new UTC day began" if new_day else back
        message = f"{symbol} circuit breaker cleared: {why} ({data['move_pct']}%)"
        return SafetyEvent(ts, Severity.INFO, SafetyKind.CIRCUIT_BREAKER, message, symbol, data)
