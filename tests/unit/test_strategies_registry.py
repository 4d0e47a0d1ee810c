"""What every strategy promises: registry, warm-up, one Signal per closed candle, reset,
and parameter errors that name the parameter, the value and what is accepted."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.config import Settings
from tui_trader.domain import Candle, SignalAction
from tui_trader.strategies import StrategyParamError, available_strategies, create_strategy
from tui_trader.strategies.registry import builtin_names

ALL = [
    "bollinger",
    "conservative",
    "ema_cross",
    "grid",
    "macd",
    "rsi",
    "synthesizer",
    "volume_profile",
    "vwap",
]
T0 = datetime(2024, 7, 1, 1, 0, tzinfo=UTC)


def series(n: int = 160) -> list[Candle]:
    out = []
    for i in range(n):
        close = Decimal(str(round(100 + 3 * math.sin(i / 6) + 0.02 * i, 4)))
        out.append(
            Candle(
                "BTCUSDT",
                T0 + timedelta(minutes=i),
                T0 + timedelta(minutes=i + 1),
                close,
                close + Decimal("0.4"),
                close - Decimal("0.4"),
                close,
                Decimal(50 + i % 7),
            )
        )
    return out


def test_available_strategies() -> None:
    assert sorted(builtin_names()) == ALL  # plug-ins installed elsewhere come on top
    assert set(ALL) <= set(available_strategies())


@pytest.mark.parametrize("name", ALL)
def test_warm_up_then_a_signal_every_candle(name: str) -> None:
    s = create_strategy(name, "BTCUSDT", None)
    candles = series()
    n = s.warmup_period
    assert 2 <= n < len(candles)
    signals = [s.on_candle(c) for c in candles]
    for i, signal in enumerate(signals[: n - 1], start=1):
        assert (signal.action, signal.reason, signal.confidence) == (
            SignalAction.HOLD,
            f"warming up ({i}/{n})",
            0.0,
        )
    assert not any(sig.reason.startswith("warming up") for sig in signals[n - 1 :])
    for candle, signal in zip(candles, signals, strict=True):
        assert (signal.symbol, signal.strategy) == ("BTCUSDT", name)
        assert (signal.ts, signal.price) == (candle.close_time, candle.close)
        assert 0.0 <= signal.confidence <= 1.0


@pytest.mark.parametrize("name", ALL)
def test_reset_starts_over_and_replays_identically(name: str) -> None:
    s = create_strategy(name, "BTCUSDT", None)
    first = [s.on_candle(c) for c in series()]
    s.reset()
    assert [s.on_candle(c) for c in series()] == first
    assert first[0].reason.startswith("warming up (1/")


def test_forming_candles_and_other_symbols_are_refused() -> None:
    s = create_strategy("rsi", "BTCUSDT", None)
    candle = series(1)[0]
    with pytest.raises(ValueError, match="closed candles only"):
        s.on_candle(replace(candle, closed=False))
    with pytest.raises(ValueError, match="candle for ETHUSDT sent to BTCUSDT"):
        s.on_candle(replace(candle, symbol="ETHUSDT"))


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nope", {}, "unknown strategy 'nope' (accepted: " + ", ".join(ALL) + ")"),
        (
            "rsi",
            {"perod": 3},
            "rsi: perod=3: unknown parameter (accepted: period, oversold, overbought)",
        ),
        ("rsi", {"period": 2.5}, "rsi: period=2.5: must be an integer"),
        ("rsi", {"period": True}, "rsi: period=true: must be an integer"),
        ("rsi", {"period": "9"}, 'rsi: period="9": must be an integer'),
        ("rsi", {"oversold": 0}, "rsi: oversold=0: must be > 0"),
        ("rsi", {"oversold": 80.0}, "rsi: oversold=80.0: must be < overbought=70.0"),
        ("ema_cross", {"slow_period": 2000}, "ema_cross: slow_period=2000: must be <= 1000"),
        ("macd", {"fast_period": 30}, "macd: fast_period=30: must be < slow_period=26"),
        ("bollinger", {"num_std": "wide"}, 'bollinger: num_std="wide": must be a number'),
        ("grid", {"levels": 60, "spacing_pct": 2}, "grid: levels=60: levels x spacing_pct (2)"),
    ],
)
def test_bad_parameters_are_named(name: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(StrategyParamError) as caught:
        create_strategy(name, "BTCUSDT", params)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_settings_strategy_params_build_the_strategy() -> None:
    # as STRATEGY_PARAMS arrives from the environment: a JSON string
    settings = Settings.model_validate(
        {"strategy": "rsi", "strategy_params": '{"period": 7, "oversold": 25}'}
    )
    s = create_strategy(settings.strategy, "BTCUSDT", settings.strategy_params)
    assert (s.name, s.warmup_period) == ("rsi", 8)
    assert s.params.model_dump() == {"period": 7, "oversold": 25.0, "overbought": 70.0}


def test_params_are_frozen() -> None:
    s = create_strategy("rsi", "BTCUSDT", None)
    with pytest.raises(ValueError, match="frozen"):
        s.params.period = 3  # type: ignore[attr-defined]
