"""The circuit breaker of a fast run: the live CircuitBreaker itself, shown the candles
where it can change its mind.

An untripped breaker trips only on a close at or past its threshold; the compiled scan
lists every close not clearly inside the band (`near`), so the breaker sees those, and,
once tripped, every candle until it clears, as the exact path's quiet-candle guard shows
it (quiet.py). Before a candle it sees the closes it needs from the candles between:
each day's last (the next day's previous close) and the candle just before; those are
not near, so they provably change nothing. What comes
out is when it tripped and cleared, for the entries' risk check, and its events."""

from bisect import bisect_right

from tui_trader.backtest.fast.source import CLOSE, Source
from tui_trader.backtest.fast.stepping import visits
from tui_trader.config import Settings
from tui_trader.risk.circuit_breaker import CircuitBreaker


class Breaker:
    def __init__(self, settings: Settings, source: Source, start: int, days: list[int]) -> None:
        self.source, self.start, self.days = source, start, days
        self.symbol = source.columns.symbol
        self.live = CircuitBreaker(settings.circuit_breaker_pct)
        self.changes: list[int] = []  # candles after which the breaker flipped
        self._seen = -1

    def replay(self, near: list[int], count: int) -> None:
        """Show it the near candles and the candles while tripped, in order."""
        day = 1  # days[day]: the next day start whose eve it has not seen
        for j in visits(near, count, lambda: self.symbol in self.live.tripped):
            while day < len(self.days) and self.days[day] <= j:  # each day's last close
                self._catch_up(self.days[day] - 1)
                day += 1
            self._catch_up(j - 1)
            if self._show(j):
                self.changes.append(j)

    def _catch_up(self, j: int) -> None:
        if j > self._seen and self._show(j):
            raise AssertionError(f"a candle away from the breaker's band moved it ({j})")

    def _show(self, j: int) -> bool:
        """CircuitBreaker.on_candle for candle j; whether it flipped."""
        self._seen = j
        at = self.start + j
        event = self.live.observe(self.symbol, self.source.decimal(CLOSE, at),
                                  self.source.close_time(at))  # fmt: skip
        return event is not None

    def tripped_after(self, j: int) -> bool:
        """Whether the breaker was tripped once candle j was observed."""
        return bool(bisect_right(self.changes, j) % 2)
