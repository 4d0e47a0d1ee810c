"""From Upbit's forming candles to closed ones: each candle once, in time order.

Upbit's candle stream sends the candle still forming, about once a second while it
changes, and the same open time repeats. There is no "closed" flag, so a candle is
taken as closed when one with a later open time arrives, or when its interval plus a
short grace has passed with nothing newer (a minute without a trade has no candle at
all: Upbit's gaps are real, not losses). After a reconnect the REST candles since the
last one closed fill the hole; whichever source brings a candle first, it is emitted
once: anything at or before the last closed open time is late and dropped (counted).

Plain synchronous code with the time passed in, so tests drive it directly."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui_trader.domain.market import Candle, VenueBar
from tui_trader.upbit.quotation import step_of

ONE_MS = timedelta(milliseconds=1)


@dataclass(slots=True)
class CandleCloser:
    interval: str
    grace: timedelta = timedelta(seconds=3)
    late: int = 0  # frames of a candle already closed: dropped
    _last: dict[str, datetime] = field(default_factory=dict)  # last closed open time
    _forming: dict[str, VenueBar] = field(default_factory=dict)

    def last_closed(self, symbol: str) -> datetime | None:
        return self._last.get(symbol)

    def known(self, symbol: str, open_time: datetime) -> None:
        """Candles up to `open_time` reached the trader another way (the warm-up
        history): the stream's late copies of them are dropped, not closed again."""
        last = self._last.get(symbol)
        self._last[symbol] = open_time if last is None else max(last, open_time)

    def update(self, symbol: str, candle: VenueBar) -> list[Candle]:
        """A stream frame of `candle`: closes the forming one when this one is newer."""
        last = self._last.get(symbol)
        forming = self._forming.get(symbol)
        if (last is not None and candle.open_time <= last) or (
            forming is not None and candle.open_time < forming.open_time
        ):
            self.late += 1
            return []
        self._forming[symbol] = candle
        if forming is None or forming.open_time == candle.open_time:
            return []
        return self._close(symbol, forming)

    def due(self, now: datetime) -> list[Candle]:
        """Forming candles whose interval and grace have passed with nothing newer."""
        step = step_of(self.interval)
        closed: list[Candle] = []
        for symbol, forming in list(self._forming.items()):
            if forming.open_time + step + self.grace <= now:
                del self._forming[symbol]
                closed += self._close(symbol, forming)
        return closed

    def backfill(self, symbol: str, candles: list[VenueBar], now: datetime) -> list[Candle]:
        """REST candles (oldest first) after a gap: the closed ones since the last one
        emitted; a still-forming one replaces what the stream had before the gap."""
        step = step_of(self.interval)
        closed: list[Candle] = []
        for candle in candles:
            last = self._last.get(symbol)
            if last is not None and candle.open_time <= last:
                continue
            if candle.open_time + step <= now:  # REST's copy replaces the stream's
                closed += self._close(symbol, candle)
            else:
                self._forming[symbol] = candle
        return closed

    def _close(self, symbol: str, candle: VenueBar) -> list[Candle]:
        forming = self._forming.get(symbol)
        if forming is not None and forming.open_time <= candle.open_time:
            del self._forming[symbol]
        self._last[symbol] = candle.open_time
        return [closed_candle(symbol, candle, self.interval)]


def closed_candle(symbol: str, candle: VenueBar, interval: str) -> Candle:
    """Ours, closing 1 ms before the next one opens (as Binance's klines do)."""
    return Candle(
        symbol,
        candle.open_time,
        candle.open_time + step_of(interval) - ONE_MS,
        candle.open,
        candle.high,
        candle.low,
        candle.close,
        candle.volume,
        closed=True,
        interval=interval,
    )
