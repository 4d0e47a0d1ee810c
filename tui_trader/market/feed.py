"""The one interface every market data source implements."""

from collections.abc import AsyncIterator
from typing import Protocol

from tui_trader.domain.market import Candle, Tick

MarketEvent = Tick | Candle


class FeedError(Exception):
    """A feed cannot go on (bad file, unreachable exchange); the message is for people."""


class MarketFeed(Protocol):
    """Yields ticks and candles in time order. `candles` are closed candles unless the
    source also emits forming ones (closed=False). Implementations must never yield a
    non-positive price: they drop it and report it through `on_bad_data`."""

    name: str

    def events(self) -> AsyncIterator[MarketEvent]: ...

    async def close(self) -> None: ...
