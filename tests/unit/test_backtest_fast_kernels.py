"""The compiled decision loops decide as the strategies themselves do, candle by candle
(the same doubles: a cross by one ulp, a flat stretch where the lines touch)."""

import random

import numpy as np
import pytest

from tui_trader.backtest.fast.subset import decide
from tui_trader.domain.enums import SignalAction
from tui_trader.strategies.base import Bar
from tui_trader.strategies.registry import create_strategy

CODES = {SignalAction.HOLD: 0, SignalAction.BUY: 1, SignalAction.SELL: 2}


def closes(seed: int, count: int) -> list[float]:
    """A walk in cents with flat stretches (equal closes make the EMAs touch)."""
    rng = random.Random(seed)
    price, out = 100.0, []
    for _ in range(count):
        if rng.random() > 0.2:
            price = max(0.01, round(price * (1 + rng.gauss(0, 0.003)), 2))
        out.append(price)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_every_action_equals_the_strategys_own(seed: int) -> None:
    rng = random.Random(seed)
    if seed % 2:
        name = "rsi"
        low = rng.choice((25.0, 33.3, 45.0))
        params = {"period": rng.randint(2, 30), "oversold": low, "overbought": 100.0 - low}
    else:
        name = "ema_cross"
        fast = rng.randint(2, 20)
        params = {"fast_period": fast, "slow_period": rng.randint(fast + 1, 60)}
    prices = closes(seed, 5000)
    strategy = create_strategy(name, "BTCUSDT", params)
    expected = [CODES[strategy.on_bar(Bar(0, p, p, p, p, 1.0))[0]] for p in prices]
    compiled = create_strategy(name, "BTCUSDT", params)
    actions = decide(compiled, np.asarray(prices, np.float64)).tolist()
    assert actions == expected
    assert any(expected), f"{name} {params} should signal on this walk"
