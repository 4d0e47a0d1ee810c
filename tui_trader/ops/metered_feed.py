"""A market feed wrapper that counts events and times how long the trader spends on each.

The trader consumes its feed with `async for event in feed.events(): handle(event)`, and
handling is synchronous, so the time between yielding an event and being asked for the
next one is exactly the processing time of that event."""

import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

from tui_trader.domain.market import Candle
from tui_trader.market.feed import MarketEvent, MarketFeed
from tui_trader.ops.metrics import TraderMetrics


class MeteredFeed:
    def __init__(
        self,
        inner: MarketFeed,
        metrics: TraderMetrics,
        perf_counter: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self._metrics = metrics
        self._perf_counter = perf_counter

    async def events(self) -> AsyncGenerator[MarketEvent, None]:
        async for event in self.inner.events():
            self._metrics.count_event(event)
            started = self._perf_counter()
            try:
                yield event
            finally:  # also when the consumer stops after this event
                spent = self._perf_counter() - started
                closed = isinstance(event, Candle) and event.closed
                self._metrics.observe_processing(spent, candle=closed)

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # status(), generate() and the like stay reachable through the wrapper.
        if name == "inner":  # not set yet (copy, pickle): no endless recursion
            raise AttributeError(name)
        return getattr(self.inner, name)
