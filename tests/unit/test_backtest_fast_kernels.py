"""The compiled decision loops decide as the strategies themselves do, candle by candle
(the same doubles: a cross by one ulp, a flat stretch where the lines touch, the
windows' exact resummation every 1,024 candles)."""

import math
import random
from typing import Any

import numpy as np
import pytest

from tui_trader.backtest.fast.subset import KERNELS, decide
from tui_trader.backtest.fast.windows import fsum
from tui_trader.domain.enums import SignalAction
from tui_trader.strategies.base import Bar
from tui_trader.strategies.registry import create_strategy

CODES = {SignalAction.HOLD: 0, SignalAction.BUY: 1, SignalAction.SELL: 2}


def closes(seed: int, count: int) -> list[float]:
    """A walk in cents with flat stretches (equal closes make the lines touch)."""
    rng = random.Random(seed)
    price, out = rng.choice((100.0, 31_234.56)), []
    for _ in range(count):
        if rng.random() > 0.2:
            price = max(0.01, round(price * (1 + rng.gauss(0, 0.003)), 2))
        out.append(price)
    return out


def random_params(rng: random.Random, name: str) -> dict[str, Any]:
    if name == "rsi":
        low = rng.choice((25.0, 33.3, 45.0))
        return {"period": rng.randint(2, 30), "oversold": low, "overbought": 100.0 - low}
    if name == "bollinger":
        return {"period": rng.randint(2, 40), "num_std": rng.choice((1.0, 1.5, 2.0, 2.7)),
                "max_bandwidth_pct": rng.choice((2.0, 4.0, 10.0)),
                "min_bandwidth_pct": rng.choice((0.0, 0.3, 1.0))}  # fmt: skip
    fast = rng.randint(2, 20)
    slow = rng.randint(fast + 1, 60)
    if name == "macd":
        return {"fast_period": fast, "slow_period": slow, "signal_period": rng.randint(2, 12)}
    return {"fast_period": fast, "slow_period": slow}


@pytest.mark.parametrize("seed", range(16))
def test_every_action_equals_the_strategys_own(seed: int) -> None:
    rng = random.Random(seed)
    name = sorted(KERNELS)[seed % len(KERNELS)]
    params = random_params(rng, name)
    prices = closes(seed, 6000)  # past the windows' resummation at 1,024 updates
    strategy = create_strategy(name, "BTCUSDT", params)
    expected = [CODES[strategy.on_bar(Bar(0, p, p, p, p, 1.0))[0]] for p in prices]
    actions = decide(create_strategy(name, "BTCUSDT", params), np.asarray(prices)).tolist()
    assert actions == expected
    assert any(expected), f"{name} {params} should signal on this walk"


@pytest.mark.parametrize("seed", range(8))
def test_fsum_is_math_fsum(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.uniform(-1, 1) * 10 ** rng.randint(-20, 20) for _ in range(rng.randint(0, 60))]
    values += [1e100, 1.0, -1e100, 1e-100, 0.1, 0.1, 0.1][: seed % 8]
    assert fsum(np.asarray(values, np.float64)) == math.fsum(values)
