"""From Alpaca's minute bars to closed candles of the configured interval, each once.

The stream sends a minute bar just after its minute ends, and only for minutes with a
trade (a thin stock on IEX skips many: those gaps are real, not losses). A candle of a
longer interval (15m) is gathered from its minutes and closed when its last minute
arrives, when a minute of a later candle arrives, or when its end plus a short grace has
passed with nothing newer. After a reconnect the REST minute bars since the last minute
taken fill the hole; whichever source brings a minute first, it is taken once: a minute
at or before the last one taken is late and dropped (counted). Candles are aligned in
UTC, which for the intervals Alpaca runs on (1m to 1h) is also New York's alignment.

Plain synchronous code with the time passed in, so tests drive it directly."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tui_trader.domain.market import Candle, VenueBar

MINUTE = timedelta(minutes=1)
ONE_MS = timedelta(milliseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def step_of(interval: str) -> timedelta:
    """How long one candle of `interval` (1m, 15m, 1h) lasts."""
    return timedelta(seconds={"m": 60, "h": 3600, "d": 86400}[interval[-1]] * int(interval[:-1]))


def bucket_of(t: datetime, step: timedelta) -> datetime:
    return t - (t - EPOCH) % step


@dataclass(slots=True)
class BarCloser:
    interval: str
    grace: timedelta = timedelta(seconds=5)
    late: int = 0  # minutes already taken (or of a candle already closed): dropped
    _last: dict[str, datetime] = field(default_factory=dict)  # last closed open time
    _seen: dict[str, datetime] = field(default_factory=dict)  # last minute taken
    _forming: dict[str, VenueBar] = field(default_factory=dict)

    @property
    def step(self) -> timedelta:
        return step_of(self.interval)

    def last_closed(self, symbol: str) -> datetime | None:
        return self._last.get(symbol)

    def resume_after(self, symbol: str) -> datetime | None:
        """The open time of the last minute accounted for (None: nothing yet)."""
        seen, last = self._seen.get(symbol), self._last.get(symbol)
        closed_to = last + self.step - MINUTE if last is not None else None
        known = [t for t in (seen, closed_to) if t is not None]
        return max(known) if known else None

    def known(self, symbol: str, open_time: datetime) -> None:
        """Candles up to `open_time` reached the trader another way (the warm-up)."""
        last = self._last.get(symbol)
        self._last[symbol] = open_time if last is None else max(last, open_time)

    def add(self, symbol: str, minute: VenueBar) -> list[Candle]:
        """One closed minute bar; returns the candles it closes."""
        bucket = bucket_of(minute.open_time, self.step)
        last, seen = self._last.get(symbol), self._seen.get(symbol)
        if (last is not None and bucket <= last) or (seen is not None and minute.open_time <= seen):
            self.late += 1
            return []
        self._seen[symbol] = minute.open_time
        closed: list[Candle] = []
        forming = self._forming.get(symbol)
        if forming is not None and forming.open_time < bucket:
            closed += self._close(symbol)
            forming = None
        self._forming[symbol] = _merge(forming, minute, bucket)
        if minute.open_time + MINUTE >= bucket + self.step:  # its last minute
            closed += self._close(symbol)
        return closed

    def due(self, now: datetime) -> list[Candle]:
        """Forming candles whose end and grace have passed with nothing newer."""
        closed: list[Candle] = []
        for symbol, forming in list(self._forming.items()):
            if forming.open_time + self.step + self.grace <= now:
                closed += self._close(symbol)
        return closed

    def _close(self, symbol: str) -> list[Candle]:
        bar = self._forming.pop(symbol)
        self._last[symbol] = bar.open_time
        return [candle_of(symbol, bar, self.interval)]


def _merge(forming: VenueBar | None, minute: VenueBar, bucket: datetime) -> VenueBar:
    if forming is None:
        return VenueBar(bucket, minute.open, minute.high, minute.low, minute.close,
                        minute.volume, minute.quote_volume, minute.trades)  # fmt: skip
    return VenueBar(
        bucket, forming.open, max(forming.high, minute.high), min(forming.low, minute.low),
        minute.close, forming.volume + minute.volume,
        forming.quote_volume + minute.quote_volume, forming.trades + minute.trades,
    )  # fmt: skip


def candle_of(symbol: str, bar: VenueBar, interval: str) -> Candle:
    """Ours, closing 1 ms before the next one opens (as Binance's klines do)."""
    closes = bar.open_time + step_of(interval) - ONE_MS
    return Candle(symbol, bar.open_time, closes, bar.open, bar.high, bar.low, bar.close,
                  bar.volume, closed=True, interval=interval)  # fmt: skip
