"""Per-symbol market state, updated in O(1) per event; the source of reference prices."""

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tui_trader.clock import utc_day_start
from tui_trader.domain.market import Candle, Tick

SPARK_POINTS = 60


@dataclass(slots=True)
class SymbolState:
    symbol: str
    last: Decimal = Decimal(0)
    bid: Decimal = Decimal(0)
    ask: Decimal = Decimal(0)
    day_open: Decimal = Decimal(0)
    day: datetime | None = None
    updated_at: datetime | None = None
    closes: deque[float] = field(default_factory=lambda: deque(maxlen=SPARK_POINTS))
    last_candle: Candle | None = None
    has_book: bool = False  # True once a tick (with bid/ask) was seen

    @property
    def change_pct(self) -> Decimal:
        return (self.last - self.day_open) / self.day_open * 100 if self.day_open else Decimal(0)

    def _roll_day(self, ts: datetime, price: Decimal) -> None:
        day = utc_day_start(ts)
        if day != self.day:
            self.day = day
            self.day_open = price


class MarketState:
    """The latest view of every symbol; the core reads it, feeds write it."""

    def __init__(self, symbols: tuple[str, ...]) -> None:
        self.symbols = {symbol: SymbolState(symbol) for symbol in symbols}
        self.last_event_at: datetime | None = None

    def on_tick(self, tick: Tick) -> SymbolState:
        state = self._state(tick.symbol)
        state._roll_day(tick.ts, tick.price)
        state.last, state.bid, state.ask = tick.price, tick.bid, tick.ask
        state.has_book = True
        state.updated_at = self.last_event_at = tick.ts
        return state

    def on_candle(self, candle: Candle) -> SymbolState:
        state = self._state(candle.symbol)
        state._roll_day(candle.open_time, candle.open)
        state.last = candle.close
        if not state.has_book:
            # Candle-only feeds (replay) have no book: the close stands in for bid and ask.
            state.bid = state.ask = candle.close
        state.closes.append(float(candle.close))
        state.last_candle = candle
        state.updated_at = self.last_event_at = candle.close_time
        return state

    def _state(self, symbol: str) -> SymbolState:
        state = self.symbols.get(symbol)
        if state is None:
            state = self.symbols[symbol] = SymbolState(symbol)
        return state

    def price(self, symbol: str) -> Decimal:
        state = self.symbols.get(symbol)
        return state.last if state else Decimal(0)

    def prices(self) -> dict[str, Decimal]:
        return {s: st.last for s, st in self.symbols.items() if st.last > 0}
