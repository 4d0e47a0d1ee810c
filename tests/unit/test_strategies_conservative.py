"""The conservative seed strategy: every BUY condition on its own, SELL, confidence."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.domain import Candle, Signal, SignalAction
from tui_trader.indicators import ATR, EMA, RSI
from tui_trader.strategies import StrategyParamError, create_strategy
from tui_trader.strategies.conservative import ConservativeStrategy

BUY, SELL, HOLD = SignalAction.BUY, SignalAction.SELL, SignalAction.HOLD
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def candle(i: int, close: float, volume: float = 100.0) -> Candle:
    c = Decimal(str(round(close, 6)))
    return Candle(
        "BTCUSDT",
        T0 + timedelta(minutes=i),
        T0 + timedelta(minutes=i + 1),
        c,
        c + Decimal("0.3"),
        c - Decimal("0.3"),
        c,
        Decimal(str(volume)),
    )


def uptrend_with_pullbacks(n: int = 40) -> list[float]:
    """+1.0 / -0.7 alternating: EMAs rising, RSI near 58-62, ATR about 1.1 %."""
    closes = [100.0]
    for i in range(n - 1):
        closes.append(closes[-1] + (1.0 if i % 2 == 0 else -0.7))
    return closes


def strategy(**params: object) -> ConservativeStrategy:
    made = create_strategy("conservative", "BTCUSDT", params)
    assert isinstance(made, ConservativeStrategy)
    return made


def expected_buy_confidence(fast: float, slow: float, rsi: float) -> float:
    separation = (fast - slow) / slow * 100
    return 0.4 + 0.3 * min(1.0, separation / 0.5) + 0.3 * (65 - rsi) / (65 - 30)


# --- the decision, one condition at a time --------------------------------------------

# fast, slow, close, atr, rsi, volume, volume_avg: every BUY condition holds
GOOD = {"fast": 101.0, "slow": 100.0, "close": 102.0, "atr": 1.0, "rsi": 40.0}
GOOD |= {"volume": 100.0, "volume_avg": 100.0}


def decide(**changes: float) -> tuple[SignalAction, float, str]:
    return strategy().decide(**(GOOD | changes))


def test_all_conditions_met_is_a_buy_with_documented_confidence() -> None:
    action, confidence, reason = decide()
    assert action is BUY
    # separation 1% saturates (0.3); RSI headroom (65-40)/35
    assert confidence == pytest.approx(0.4 + 0.3 + 0.3 * 25 / 35)
    assert reason.startswith("buy: ")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"fast": 100.0}, "hold: fast EMA not above slow EMA"),  # equal EMAs: no trend
        ({"close": 100.0}, "hold: close not above slow EMA"),
        ({"close": 99.5}, "hold: close not above slow EMA"),
        ({"atr": 3.1}, "hold: ATR/price >= 3.0%"),  # 3.04 % of 102
        ({"rsi": 29.9}, "hold: RSI outside [30.0, 65.0]"),
        ({"rsi": 65.1}, "hold: RSI outside [30.0, 65.0]"),
        ({"rsi": 75.0}, "hold: RSI outside [30.0, 65.0]"),  # not above 75: no SELL
        ({"volume": 50.0}, "hold: volume <= 0.5x its 20-candle average"),
    ],
)
def test_each_buy_condition_failing_alone_holds(change: dict[str, float], reason: str) -> None:
    action, _, why = decide(**change)
    assert (action, why) == (HOLD, reason)


def test_low_confidence_alone_holds() -> None:
    # separation 0.01 %, RSI 60: everything else passes
    action, confidence, reason = decide(fast=100.01, rsi=60.0)
    expected = 0.4 + 0.3 * (0.01 / 0.5) + 0.3 * 5 / 35
    assert confidence == pytest.approx(expected)
    assert expected < 0.6
    assert (action, reason) == (HOLD, f"hold: confidence {expected:.2f} < 0.6")


@pytest.mark.parametrize("change", [{"rsi": 30.0}, {"rsi": 65.0}, {"volume": 50.1}, {"atr": 3.0}])
def test_buy_boundaries(change: dict[str, float]) -> None:
    assert decide(**change)[0] is BUY  # 30 <= RSI <= 65, volume strictly above, ATR < 3 %


def test_sell_when_trend_turns_down() -> None:
    action, confidence, reason = decide(fast=99.9, slow=100.0)
    assert (action, reason) == (SELL, "sell: fast EMA below slow EMA")
    assert confidence == pytest.approx(0.5 + 0.5 * (0.1 / 0.5))


def test_sell_when_overbought_and_both() -> None:
    action, confidence, reason = decide(rsi=80.0)
    assert (action, reason) == (SELL, "sell: RSI above 75.0")
    assert confidence == pytest.approx(0.5 + 0.5 * 5 / 25)
    action, confidence, reason = decide(rsi=90.0, fast=98.0)
    assert (action, reason) == (SELL, "sell: fast EMA below slow EMA and RSI above 75.0")
    assert confidence == 1.0  # 2 % gap saturates


# --- through candles ------------------------------------------------------------------


def run(s: ConservativeStrategy, closes: list[float], last_volume: float = 100.0) -> Signal:
    """Feed `closes` (volume 100, the last candle `last_volume`); the last signal."""
    last = len(closes) - 1
    signals = [
        s.on_candle(candle(i, c, last_volume if i == last else 100.0)) for i, c in enumerate(closes)
    ]
    return signals[-1]


def test_candles_uptrend_gives_buy_with_confidence_from_its_indicators() -> None:
    closes = uptrend_with_pullbacks()
    s = strategy()
    signals = [s.on_candle(candle(i, c)) for i, c in enumerate(closes)]
    assert s.warmup_period == 21
    assert signals[19].reason == "warming up (20/21)"
    fast, slow, rsi, atr = EMA(9), EMA(21), RSI(14), ATR(14)
    for c in closes:
        fast.update(c), slow.update(c), rsi.update(c), atr.update(c + 0.3, c - 0.3, c)
    last = signals[-1]
    assert last.action is BUY
    assert last.confidence == pytest.approx(
        expected_buy_confidence(fast.value, slow.value, rsi.value)  # type: ignore[arg-type]
    )
    assert (last.symbol, last.strategy, last.price) == ("BTCUSDT", "conservative", Decimal("106.7"))
    assert last.ts == T0 + timedelta(minutes=40)


@pytest.mark.parametrize(
    ("params", "last_volume", "reason"),
    [
        ({}, 40.0, "hold: volume <= 0.5x its 20-candle average"),
        ({"max_atr_pct": 1.0}, 100.0, "hold: ATR/price >= 1.0%"),
        ({"rsi_buy_max": 55.0}, 100.0, "hold: RSI outside [30.0, 55.0]"),
        ({"rsi_buy_min": 62.0}, 100.0, "hold: RSI outside [62.0, 65.0]"),
        ({"min_confidence": 0.9}, 100.0, "hold: confidence 0.74 < 0.9"),
    ],
)
def test_candles_one_failing_condition_turns_the_buy_into_hold(
    params: dict[str, float], last_volume: float, reason: str
) -> None:
    signal = run(strategy(**params), uptrend_with_pullbacks(), last_volume)
    assert (signal.action, signal.reason) == (HOLD, reason)


def test_candles_downtrend_sells_and_steep_rally_sells_on_rsi() -> None:
    falling = [200.0 - i * 0.8 + (0.5 if i % 2 else 0.0) for i in range(30)]
    assert run(strategy(), falling).action is SELL
    last = run(strategy(), [100.0 + i * 1.5 for i in range(30)])
    assert (last.action, last.reason) == (SELL, "sell: RSI above 75.0")


def test_bad_params_name_the_parameter() -> None:
    with pytest.raises(StrategyParamError, match=r"^conservative: fast_period=0: must be >= 2$"):
        strategy(fast_period=0)
    with pytest.raises(StrategyParamError, match="fast_period=30: must be < slow_period=21"):
        strategy(fast_period=30)
    with pytest.raises(
        StrategyParamError, match=re.escape("rsi_buy_max=80.0: must be <= rsi_sell=75.0")
    ):
        strategy(rsi_buy_max=80.0)
