"""Warm-up from history: past closed candles go to the strategies only, before the
first live event, so the first signal can come with the first live candle.

Only the strategies see these candles: no order, protective exit, circuit breaker,
volatility trigger, account sample or journal entry comes from the past."""

from collections.abc import Iterable

from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.market import Candle

MAX_HISTORY_CANDLES = 1000


def history_needed(core: TradingCore) -> int:
    """Closed candles per symbol that make every strategy warm (bounded): twice the
    longest warm-up, so slow averages have settled too."""
    periods = [strategy.warmup_period for strategy in core.parts.strategies.values()]
    return min(2 * max(periods, default=0), MAX_HISTORY_CANDLES)


def warm_up(core: TradingCore, candles: Iterable[Candle]) -> int:
    """Feed past candles, in time order, to their symbol's strategy; the last signal of
    each becomes the one shown. Returns how many candles were used."""
    used = 0
    for candle in candles:
        strategy = core.parts.strategies.get(candle.symbol)
        if strategy is None or not candle.closed:
            continue
        core.last_signals[candle.symbol] = strategy.on_candle(candle)
        used += 1
    return used
