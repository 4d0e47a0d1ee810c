"""The synthesizer: weighted votes of named strategies, SELL counted before BUY."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.domain import Candle, Signal, SignalAction
from tui_trader.strategies import StrategyParamError, create_strategy

BUY, SELL, HOLD = SignalAction.BUY, SignalAction.SELL, SignalAction.HOLD
T0 = datetime(2024, 2, 1, tzinfo=UTC)

# rsi (period 2) and a grid around 100 with 2 % steps: levels 90, 92, ..., 110
MEMBERS = {
    "members": {"rsi": 1.0, "grid": 1.0},
    "member_params": {
        "rsi": {"period": 2},
        "grid": {"center": 100, "spacing_pct": 2, "levels": 5},
    },
}


def run(closes: list[float], **params: Any) -> list[Signal]:
    s = create_strategy("synthesizer", "BTCUSDT", MEMBERS | params)
    out = []
    for i, close in enumerate(closes):
        c = Decimal(str(close))
        candle = Candle(
            "BTCUSDT",
            T0 + timedelta(minutes=i),
            T0 + timedelta(minutes=i + 1),
            c,
            c,
            c,
            c,
            Decimal(1),
        )
        out.append(s.on_candle(candle))
    return out


def test_agreeing_members_buy_with_the_weighted_confidence() -> None:
    # falling: RSI(2) = 0 -> BUY at 1.0; 97 -> 95 crosses the 96 level -> grid BUY at 1.0
    signals = run([101.0, 99.0, 97.0, 95.0])
    assert signals[1].reason == "warming up (2/3)"  # rsi needs 3 candles, grid 2
    assert (signals[3].action, signals[3].confidence) == (BUY, 1.0)
    assert signals[3].reason == "buy: vote 1.00 >= 0.4 (rsi, grid)"


def test_sell_vote_wins_even_when_buy_also_reaches_its_threshold() -> None:
    # changes +5, +5.5 seed RSI(2) at 100; then -0.6: gain 2.625, loss 0.3
    rsi = 100 * 2.625 / (2.625 + 0.3)
    rsi_sell_confidence = 0.5 + 0.5 * (rsi - 70) / 30
    closes = [100.0, 105.0, 110.5, 109.9]  # 110.5 -> 109.9 crosses 110 down: grid BUY 1.0
    last = run(closes, sell_threshold=0.4, buy_threshold=0.5)[-1]
    assert last.action is SELL
    assert last.confidence == pytest.approx(rsi_sell_confidence / 2)
    assert rsi_sell_confidence / 2 >= 0.4
    # with a higher SELL bar, the BUY vote (0.5) carries
    last = run(closes, sell_threshold=0.5, buy_threshold=0.5)[-1]
    assert (last.action, last.confidence) == (BUY, 0.5)


def test_weights_scale_the_votes() -> None:
    closes = [100.0, 105.0, 110.5, 109.9]
    heavy_grid = {"rsi": 1.0, "grid": 3.0}
    last = run(closes, members=heavy_grid, sell_threshold=0.5, buy_threshold=0.7)[-1]
    assert (last.action, last.confidence) == (BUY, 0.75)  # 3 * 1.0 / (1 + 3)


def test_votes_below_the_thresholds_hold_and_are_reported() -> None:
    # 101 -> 100.5 -> 100.2 -> 100.1: RSI(2) = 0 (BUY 1.0), no grid level crossed
    last = run([101.0, 100.5, 100.2, 100.1], buy_threshold=0.6)[-1]
    assert (last.action, last.reason) == (HOLD, "hold: buy vote 0.50, sell vote 0.00")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"members": {"nope": 1.0}}, "synthesizer: unknown strategy 'nope'"),
        (
            {"members": {"synthesizer": 1.0}},
            "synthesizer: members.synthesizer: a synthesizer cannot contain itself",
        ),
        ({"members": {}}, "synthesizer: members={}: give at least one strategy name"),
        ({"members": {"rsi": 0}}, "synthesizer: members.rsi=0: must be > 0"),
        (
            {"members": {"rsi": 1.0}, "member_params": {"macd": {}}},
            "synthesizer: member_params.macd: not one of members",
        ),
        (
            {"members": {"rsi": 1.0}, "member_params": {"rsi": {"period": 0}}},
            "synthesizer: rsi: period=0: must be >= 2",
        ),
        ({"buy_threshold": 1.5}, "synthesizer: buy_threshold=1.5: must be <= 1"),
    ],
)
def test_bad_member_configuration_is_named(params: dict[str, Any], message: str) -> None:
    with pytest.raises(StrategyParamError) as caught:
        create_strategy("synthesizer", "BTCUSDT", params)
    assert str(caught.value).startswith(message)


def test_default_members_warm_up_as_long_as_the_slowest() -> None:
    s = create_strategy("synthesizer", "BTCUSDT", None)
    assert s.warmup_period == max(
        create_strategy(name, "BTCUSDT", None).warmup_period
        for name in ("conservative", "rsi", "bollinger")
    )
