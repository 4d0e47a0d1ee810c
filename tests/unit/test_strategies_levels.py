"""vwap, volume_profile and grid: entries and exits at price levels."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.domain import Candle, Signal, SignalAction
from tui_trader.strategies import StrategyParamError, create_strategy

BUY, SELL, HOLD = SignalAction.BUY, SignalAction.SELL, SignalAction.HOLD
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def bar(
    i: int,
    close: float,
    high: float | None = None,
    low: float | None = None,
    volume: float = 10.0,
    start: datetime = T0,
) -> Candle:
    def d(x: float) -> Decimal:
        return Decimal(str(x))

    return Candle(
        "SOLUSDT",
        start + timedelta(minutes=i),
        start + timedelta(minutes=i + 1),
        d(close),
        d(high if high is not None else close),
        d(low if low is not None else close),
        d(close),
        d(volume),
    )


def run(name: str, candles: list[Candle], **params: Any) -> list[Signal]:
    s = create_strategy(name, "SOLUSDT", params)
    return [s.on_candle(c) for c in candles]


# --- vwap ------------------------------------------------------------------------------


def test_vwap_buys_a_stretch_below_and_sells_the_return() -> None:
    closes = [100.0] * 30 + [98.5, 99.5, 100.5]
    signals = run("vwap", [bar(i, c) for i, c in enumerate(closes)], deviation_pct=1.0)
    assert signals[28].reason == "warming up (29/30)"
    assert (signals[29].action, signals[29].reason) == (HOLD, "hold: close near VWAP")
    vwap = (30 * 100.0 + 98.5) / 31  # equal volumes, typical price = close
    deviation = (vwap - 98.5) / vwap * 100
    assert signals[30].action is BUY
    assert signals[30].confidence == pytest.approx(0.5 + 0.5 * (deviation - 1.0))
    assert signals[31].action is HOLD  # still below VWAP (99.93)
    assert (signals[32].action, signals[32].confidence) == (SELL, 0.8)


def test_vwap_defaults_to_the_source_platforms_threshold_of_0_2_pct() -> None:
    """Issue 16 item 6: a 0.3% stretch below VWAP buys by default (it did not at 1%)."""
    closes = [100.0] * 30 + [99.7]
    signals = run("vwap", [bar(i, c) for i, c in enumerate(closes)])
    assert signals[30].action is BUY and "below VWAP" in signals[30].reason
    shallow = run("vwap", [bar(i, c) for i, c in enumerate([100.0] * 30 + [99.85])])
    assert shallow[30].action is HOLD  # 0.145% is inside the threshold


def test_vwap_restarts_its_warm_up_at_midnight_utc() -> None:
    start = T0 - timedelta(minutes=40)  # 23:20 UTC
    closes = [100.0] * 40 + [97.0] * 31
    signals = run("vwap", [bar(i, c, start=start) for i, c in enumerate(closes)])
    assert signals[39].action is HOLD and not signals[39].reason.startswith("warming")
    assert signals[40].reason == "hold: VWAP session warming up (1/30)"  # 00:00 candle
    assert signals[68].reason == "hold: VWAP session warming up (29/30)"
    # the new session's VWAP is 97: yesterday's 100 no longer makes 97 look cheap
    assert (signals[69].action, signals[69].reason) == (HOLD, "hold: close near VWAP")


def test_vwap_warm_up_cannot_be_shortened() -> None:
    with pytest.raises(StrategyParamError, match=r"^vwap: session_warmup=10: must be >= 30$"):
        create_strategy("vwap", "SOLUSDT", {"session_warmup": 10})


# --- volume_profile --------------------------------------------------------------------

# period 5, bins 1 % of 100 = 1.0 wide: bins 100:10, 101:70, 102:10, 99:10 -> POC 101.5,
# the POC bin alone holds 70 % -> value area [101, 102]
PROFILE = [(100.0, 10.0), (101.5, 40.0), (101.2, 30.0), (102.5, 10.0), (99.5, 10.0)]


def profile_candles() -> list[Candle]:
    return [bar(i, price, volume=volume) for i, (price, volume) in enumerate(PROFILE)]


def test_volume_profile_buys_a_bounce_off_the_value_area_low() -> None:
    bounce = bar(5, 101.3, high=101.6, low=100.8, volume=20.0)
    signals = run("volume_profile", [*profile_candles(), bounce], period=5, bin_pct=1.0)
    assert signals[4].reason == "warming up (5/6)"
    assert signals[5].action is BUY
    assert signals[5].confidence == pytest.approx(0.5 + 0.5 * (101.5 - 101.3) / (101.5 - 101.0))


def test_volume_profile_sells_at_the_value_area_high_and_holds_inside() -> None:
    inside = bar(5, 101.4, high=101.8, low=101.1)
    at_top = bar(6, 101.9, high=102.0, low=101.5)
    signals = run("volume_profile", [*profile_candles(), inside, at_top], period=5, bin_pct=1.0)
    assert (signals[5].action, signals[5].reason) == (HOLD, "hold: inside the value area")
    assert (signals[6].action, signals[6].confidence) == (SELL, 0.7)


def test_volume_profile_sells_on_arrival_at_the_high_not_while_above_it() -> None:
    flat = [bar(i, 100.0) for i in range(5)]  # bins 1.0 wide, all in [100, 101): VAH = 101
    arrive = bar(5, 101.1, high=101.2, low=100.9)
    # the window is now 4 x 100.0 and the arrival bar (bin 101): POC bin still holds
    # 80 % >= 70 %, so the VAH stays 101, and this bar is still above it
    stay = bar(6, 101.2, high=101.3, low=101.0)
    signals = run("volume_profile", [*flat, arrive, stay], period=5, bin_pct=1.0)
    assert [s.action for s in signals[5:]] == [SELL, HOLD]


def test_volume_profile_close_below_the_area_is_no_bounce() -> None:
    breakdown = bar(5, 100.5, high=101.2, low=100.2)
    signals = run("volume_profile", [*profile_candles(), breakdown], period=5, bin_pct=1.0)
    assert signals[5].action is HOLD


def test_volume_profile_defaults_to_100_candles_in_50_bins_across_their_range() -> None:
    """Issue 16 item 6, the source platform's profile. 100 candles from 100.0 to 109.9:
    50 bins 0.198 wide; the heavy candle at 104.1 is in bin 20 [103.96, 104.158), so the
    POC is 104.059, and the value area (ties walk up) starts at that bin's low edge."""
    window = [bar(i, 100.0 + i / 10, volume=50.0 if i == 41 else 1.0) for i in range(100)]
    strategy = create_strategy("volume_profile", "SOLUSDT", {})
    assert strategy.params.model_dump() == {
        "period": 100, "bins": 50, "bin_pct": None, "value_area_pct": 70.0
    }  # fmt: skip
    signals = [strategy.on_candle(c) for c in window]
    assert signals[-1].reason == "warming up (100/101)"
    dip = bar(100, 104.0, high=104.3, low=103.5)  # through the area's low, closing above
    signal = strategy.on_candle(dip)
    width = 9.9 / 50
    poc, low = 100.0 + 20.5 * width, 100.0 + 20 * width
    assert signal.action is BUY and signal.reason == f"buy: bounced off value-area low {low:.6g}"
    assert signal.confidence == pytest.approx(0.5 + 0.5 * (poc - 104.0) / (poc - low))


def test_volume_profile_takes_one_binning() -> None:
    fixed = create_strategy("volume_profile", "SOLUSDT", {"bin_pct": 0.5})
    assert (fixed.params.bins, fixed.params.bin_pct) == (None, 0.5)  # bin_pct alone is enough
    with pytest.raises(StrategyParamError, match="set exactly one"):
        create_strategy("volume_profile", "SOLUSDT", {"bins": 20, "bin_pct": 0.5})
    with pytest.raises(StrategyParamError, match="set exactly one"):
        create_strategy("volume_profile", "SOLUSDT", {"bins": None})


# --- grid ------------------------------------------------------------------------------


def grid(closes: list[float], **params: Any) -> list[Signal]:
    return run("grid", [bar(i, c) for i, c in enumerate(closes)], **params)


def test_grid_buys_each_level_crossed_down_and_sells_each_crossed_up() -> None:
    # levels 97, 98, 99, 100, 101, 102, 103
    signals = grid(
        [100.5, 99.5, 97.0, 96.0, 101.2], center=100, spacing_pct=1, levels=3, quantity="0.5"
    )
    assert signals[0].reason == "warming up (1/2)"
    assert [(s.action, s.quantity) for s in signals[1:]] == [
        (BUY, Decimal("0.5")),  # through 100
        (BUY, Decimal("1.5")),  # through 99, 98 and 97 (97 is touched: it counts)
        (HOLD, None),  # 96 is below the last level
        (SELL, Decimal("2.5")),  # up through 97, 98, 99, 100, 101
    ]
    assert signals[1].confidence == 1.0
    assert signals[2].reason == "buy: crossed 3 grid level(s) down to 97"


def test_grid_starting_on_a_level_is_not_a_crossing() -> None:
    signals = grid([99.5, 99.0, 99.5, 99.0], center=100, spacing_pct=1, levels=3)
    assert [s.action for s in signals[1:]] == [BUY, HOLD, BUY]
    assert signals[1].quantity is None  # no quantity: sized by the risk settings


def test_grid_centres_on_the_first_close_when_not_given() -> None:
    signals = grid([200.0, 203.5, 201.5], spacing_pct=1)  # levels ... 200 202 204: 200 is the start
    assert [s.action for s in signals[1:]] == [SELL, BUY]
    assert signals[1].reason == "sell: crossed 1 grid level(s) up to 202"


def test_grid_params_take_decimal_values_from_toml_numbers_or_strings() -> None:
    s = create_strategy("grid", "SOLUSDT", {"quantity": 0.001, "spacing_pct": "0.5"})
    assert s.params.quantity == Decimal("0.001")  # type: ignore[attr-defined]
    with pytest.raises(StrategyParamError, match=r"^grid: quantity=-1: must be > 0$"):
        create_strategy("grid", "SOLUSDT", {"quantity": -1})
