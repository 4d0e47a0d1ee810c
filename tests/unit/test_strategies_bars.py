"""A strategy decides alike on a Candle (live) and on its Bar (the backtester's columns)."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.domain.enums import SignalAction
from tui_trader.domain.market import Candle
from tui_trader.strategies.base import Bar
from tui_trader.strategies.registry import available_strategies, create_strategy

T0 = datetime(2024, 3, 1, 22, tzinfo=UTC)  # the walk crosses a UTC midnight (VWAP sessions)


def candles(count: int, seed: int) -> list[Candle]:
    rng = random.Random(seed)
    price, out = 100.0, []
    for index in range(count):
        close = price * (1 + rng.gauss(0, 0.005))
        high, low = max(price, close) * 1.002, min(price, close) * 0.998
        opened = T0 + index * timedelta(minutes=1)
        numbers = (Decimal(f"{x:.2f}") for x in (price, high, low, close))
        o, h, lo, c = numbers
        out.append(Candle("BTCUSDT", opened, opened + timedelta(seconds=59.999), o, h, lo, c,
                          Decimal(f"{rng.uniform(1, 50):.3f}")))  # fmt: skip
        price = float(c)
    return out


@pytest.mark.parametrize("name", [n for n in available_strategies() if n != "grid"])
def test_bars_and_candles_give_the_same_decisions(name: str) -> None:
    on_candles = create_strategy(name, "BTCUSDT")
    on_bars = create_strategy(name, "BTCUSDT")
    assert on_bars.decides_on_bars
    decided = 0
    for candle in candles(400, seed=len(name)):
        signal = on_candles.on_candle(candle)
        action, confidence, reason, quantity = on_bars.on_bar(Bar.of(candle))
        assert on_bars.signal(candle, action, confidence, reason, quantity) == signal
        decided += signal.action is not SignalAction.HOLD
    assert decided, f"{name} should signal on this walk"


def test_the_grid_needs_candles() -> None:
    grid = create_strategy("grid", "BTCUSDT")
    assert not grid.decides_on_bars
    with pytest.raises(TypeError, match="decides on candles"):
        grid.on_bar(Bar.of(candles(1, seed=1)[0]))
