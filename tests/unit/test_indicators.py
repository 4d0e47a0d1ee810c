"""Indicators against numbers worked out by hand in the test, plus reference values that
TA-Lib (Python wrapper 0.8.2, C library 0.8.1) printed for one fixed series."""

import math
import statistics
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tui_trader.indicators import (
    ATR,
    EMA,
    MACD,
    RSI,
    SMA,
    VWAP,
    Bollinger,
    RollingMean,
    VolumeProfile,
)
from tui_trader.indicators.range_profile import RangeVolumeProfile


def feed(indicator: object, values: list[float]) -> list[float | None]:
    return [indicator.update(v) for v in values]  # type: ignore[attr-defined]


# --- moving averages ---------------------------------------------------------------


@pytest.mark.parametrize("cls", [SMA, RollingMean])
def test_rolling_mean_is_none_until_full_then_window_mean(cls: type[RollingMean]) -> None:
    avg = cls(3)
    assert feed(avg, [1.0, 2.0, 6.0, 10.0, -3.0]) == [
        None,
        None,
        (1 + 2 + 6) / 3,
        (2 + 6 + 10) / 3,
        (6 + 10 - 3) / 3,
    ]
    assert avg.value == pytest.approx(13 / 3)
    avg.reset()
    assert avg.value is None
    assert avg.update(5.0) is None


def test_rolling_mean_stays_exact_over_many_updates() -> None:
    avg = RollingMean(7)
    values = [60000.0 + (i * 7919 % 1000) / 7.0 for i in range(20000)]
    for v in values:
        avg.update(v)
    assert avg.value == pytest.approx(statistics.fmean(values[-7:]), rel=1e-13)


def test_ema_seeds_with_sma_then_smooths() -> None:
    ema = EMA(3)  # alpha = 2 / (3 + 1) = 0.5
    seed = (2 + 4 + 6) / 3  # 4.0
    step4 = seed + 0.5 * (5 - seed)  # 4.5
    step5 = step4 + 0.5 * (9 - step4)  # 6.75
    assert feed(ema, [2.0, 4.0, 6.0, 5.0, 9.0]) == [None, None, seed, step4, step5]
    ema.reset()
    assert feed(ema, [1.0, 1.0, 1.0]) == [None, None, 1.0]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_period_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="period must be an integer >= 1"):
        EMA(bad)  # type: ignore[arg-type]


# --- RSI -----------------------------------------------------------------------------


def test_rsi_wilder_seeding_and_smoothing() -> None:
    rsi = RSI(3)
    closes = [10.0, 11.0, 10.5, 12.0, 11.0, 11.5]
    # changes: +1, -0.5, +1.5, -1, +0.5; the first 3 seed simple means
    gain, loss = (1 + 0 + 1.5) / 3, (0 + 0.5 + 0) / 3
    first = 100 * gain / (gain + loss)
    gain, loss = (gain * 2 + 0) / 3, (loss * 2 + 1) / 3
    second = 100 * gain / (gain + loss)
    gain, loss = (gain * 2 + 0.5) / 3, (loss * 2 + 0) / 3
    third = 100 * gain / (gain + loss)
    out = feed(rsi, closes)
    assert out[:3] == [None, None, None]
    assert out[3:] == [pytest.approx(first), pytest.approx(second), pytest.approx(third)]
    assert first == pytest.approx(83.3333333)


def test_rsi_extremes_and_flat_market() -> None:
    assert feed(RSI(2), [3.0, 2.0, 1.0])[-1] == 0.0
    assert feed(RSI(2), [1.0, 2.0, 3.0])[-1] == 100.0
    assert feed(RSI(2), [5.0, 5.0, 5.0])[-1] == 50.0  # TA-Lib would say 0


# --- ATR -----------------------------------------------------------------------------


def test_atr_uses_previous_close_and_wilder_smoothing() -> None:
    atr = ATR(3)
    candles = [(11.0, 9.0, 10.0), (12.0, 10.0, 11.0), (13.0, 11.0, 12.0), (12.0, 10.0, 11.0)]
    candles += [(14.0, 12.0, 13.0), (13.5, 12.5, 13.0)]
    # TR from the 2nd candle: max(h-l, |h-pc|, |l-pc|)
    tr = [
        max(h - lo, abs(h - candles[i - 1][2]), abs(lo - candles[i - 1][2]))
        for i, (h, lo, _) in enumerate(candles)
        if i > 0
    ]
    assert tr == [2.0, 2.0, 2.0, 3.0, 1.0]
    first = (2.0 + 2.0 + 2.0) / 3
    second = (first * 2 + 3.0) / 3
    third = (second * 2 + 1.0) / 3
    out = [atr.update(*c) for c in candles]
    assert out == [None, None, None, first, pytest.approx(second), pytest.approx(third)]
    atr.reset()
    assert atr.update(11.0, 9.0, 10.0) is None


# --- MACD ----------------------------------------------------------------------------


def test_macd_aligns_the_fast_seed_with_the_slow_one_as_talib() -> None:
    macd = MACD(fast=2, slow=3, signal=2)  # alphas: fast 2/3, slow 1/2, signal 2/3
    closes = [1.0, 2.0, 4.0, 3.0, 5.0]
    slow = (1 + 2 + 4) / 3  # seeded on update 3
    fast = (2 + 4) / 2  # seeded on update 3 with the LAST two closes
    line3 = fast - slow
    slow, fast = slow + 0.5 * (3 - slow), fast + 2 / 3 * (3 - fast)
    line4 = fast - slow
    signal4 = (line3 + line4) / 2
    slow, fast = slow + 0.5 * (5 - slow), fast + 2 / 3 * (5 - fast)
    line5 = fast - slow
    signal5 = signal4 + 2 / 3 * (line5 - signal4)
    out = feed(macd, closes)
    assert out[:3] == [None, None, None]  # all outputs start on update slow + signal - 1
    assert out[3] == pytest.approx(line4)
    assert out[4] == pytest.approx(line5)
    assert macd.signal == pytest.approx(signal5)
    assert macd.histogram == pytest.approx(line5 - signal5)
    macd.reset()
    assert macd.value is None and macd.signal is None and macd.histogram is None


def test_macd_needs_fast_below_slow() -> None:
    with pytest.raises(ValueError, match="fast period 26 must be below slow period 12"):
        MACD(26, 12, 9)


# --- Bollinger -----------------------------------------------------------------------


def test_bollinger_uses_population_stddev() -> None:
    bands = Bollinger(3, 2.0)
    assert feed(bands, [1.0, 2.0, 3.0]) == [None, None, 2.0]
    assert bands.upper == pytest.approx(2 + 2 * math.sqrt(2 / 3))
    assert bands.lower == pytest.approx(2 - 2 * math.sqrt(2 / 3))
    bands.update(5.0)
    mean, std = statistics.fmean([2, 3, 5]), statistics.pstdev([2, 3, 5])
    assert bands.middle == pytest.approx(mean)
    assert bands.upper == pytest.approx(mean + 2 * std)
    assert bands.bandwidth == pytest.approx(4 * std / mean)


def test_bollinger_is_stable_at_large_prices_over_many_updates() -> None:
    bands = Bollinger(20, 2.0)
    values = [1_000_000.0 + ((i * 7919) % 97) * 0.01 for i in range(5000)]
    for v in values:
        bands.update(v)
    std = statistics.pstdev(values[-20:])
    assert bands.upper == pytest.approx(statistics.fmean(values[-20:]) + 2 * std, abs=1e-7)
    # a plain sum of squares would be off by ~0.1% here (1e13 sums, 4e-3 ulp)
    assert (bands.upper - bands.middle) / 2 == pytest.approx(std, rel=1e-7)  # type: ignore[operator]


# --- TA-Lib reference values -----------------------------------------------------------

CLOSES = [100 + 8 * math.sin(i / 4) + 0.25 * i + (i % 3) * 0.7 for i in range(60)]
HIGHS = [c + 1 + (i % 4) * 0.3 for i, c in enumerate(CLOSES)]
LOWS = [c - 1 - (i % 5) * 0.2 for i, c in enumerate(CLOSES)]
TALIB = {  # talib.EMA/RSI/ATR/MACD/BBANDS(CLOSES...) at indices 33, 45, 59
    "EMA10": (112.44482002425586, 106.41499128110048, 119.37409479483391),
    "RSI14": (72.50196956620599, 39.59217609316899, 74.38064809041147),
    "ATR14": (3.315975690961674, 3.1937683428364187, 3.3463265414596264),
    "MACD": (2.35559314155482, -0.9870153271704396, 3.918891824338047),
    "SIGNAL": (-0.13771158581281717, 0.08757740682285846, 2.7003400396392414),
    "HIST": (2.4933047273676374, -1.0745927339932981, 1.2185517846988057),
    "UPPER": (120.38599501119938, 119.9703620684476, 127.7974136699057),
    "LOWER": (91.23965343666654, 101.18614201316404, 97.69215961829136),
}
FIRST_VALID = {"EMA10": 9, "RSI14": 14, "ATR14": 14, "MACD": 33, "UPPER": 19}


def test_matches_talib_on_a_reference_series() -> None:
    ema, rsi, atr, macd, bands = EMA(10), RSI(14), ATR(14), MACD(), Bollinger(20, 2.0)
    got: dict[str, list[float | None]] = {name: [] for name in TALIB}
    for close, high, low in zip(CLOSES, HIGHS, LOWS, strict=True):
        got["EMA10"].append(ema.update(close))
        got["RSI14"].append(rsi.update(close))
        got["ATR14"].append(atr.update(high, low, close))
        got["MACD"].append(macd.update(close))
        got["SIGNAL"].append(macd.signal)
        got["HIST"].append(macd.histogram)
        bands.update(close)
        got["UPPER"].append(bands.upper)
        got["LOWER"].append(bands.lower)
    for name, expected in TALIB.items():
        assert [got[name][i] for i in (33, 45, 59)] == pytest.approx(expected, abs=1e-9), name
    for name, first in FIRST_VALID.items():
        assert got[name][first - 1] is None and got[name][first] is not None, name


# --- VWAP ----------------------------------------------------------------------------

DAY = datetime(2024, 3, 1, tzinfo=UTC)


def test_vwap_accumulates_within_the_utc_day_and_resets_at_midnight() -> None:
    vwap = VWAP()
    late = DAY + timedelta(hours=23, minutes=58)
    assert vwap.update(12.0, 8.0, 10.0, 2.0, late) == 10.0  # typical (12+8+10)/3 = 10
    second = vwap.update(13.0, 10.0, 13.0, 6.0, late + timedelta(minutes=1))
    assert second == pytest.approx((10 * 2 + 12 * 6) / (2 + 6))
    assert vwap.session_candles == 2
    # 00:00 UTC opens a new session: only this candle counts
    assert vwap.update(21.0, 18.0, 21.0, 1.0, DAY + timedelta(days=1)) == 20.0
    assert vwap.session_candles == 1


def test_vwap_day_boundary_is_utc_even_for_other_offsets() -> None:
    vwap = VWAP()
    plus2 = datetime(2024, 3, 2, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    vwap.update(3.0, 3.0, 3.0, 1.0, DAY + timedelta(hours=23))  # 23:00 UTC on the 1st
    assert vwap.update(6.0, 6.0, 6.0, 1.0, plus2) == 4.5  # 23:30 UTC, same session


def test_vwap_needs_volume_and_aware_time() -> None:
    vwap = VWAP()
    assert vwap.update(2.0, 1.0, 1.5, 0.0, DAY) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        vwap.update(2.0, 1.0, 1.5, 1.0, datetime(2024, 3, 1))
    vwap.reset()
    assert vwap.value is None and vwap.session_candles == 0


# --- volume profile ------------------------------------------------------------------


def push(profile: VolumeProfile, price: float, volume: float) -> float | None:
    return profile.update(price, price, price, volume)  # typical price = price


def test_volume_profile_poc_and_value_area() -> None:
    profile = VolumeProfile(period=4, bin_pct=1.0, value_area_pct=70.0)
    assert push(profile, 100.0, 30.0) is None  # bin width = 1% of 100 = 1.0
    assert push(profile, 101.5, 25.0) is None
    assert push(profile, 101.7, 10.0) is None
    # bins: [100,101) 30, [101,102) 35, [103,104) 20; total 85, 70% = 59.5
    assert push(profile, 103.1, 20.0) == 101.5  # POC: centre of the 35 bin
    # from the POC (35): above is empty (0) < below (30) -> add below: 65 >= 59.5
    assert (profile.value_area_low, profile.value_area_high) == (100.0, 102.0)


def test_volume_profile_forgets_candles_leaving_the_window() -> None:
    profile = VolumeProfile(period=4, bin_pct=1.0, value_area_pct=70.0)
    for price, volume in [(100.0, 30.0), (101.5, 25.0), (101.7, 10.0), (103.1, 20.0)]:
        push(profile, price, volume)
    # the 100.0 candle leaves: bins [101,102) 35, [103,104) 30; total 65, 70% = 45.5
    assert push(profile, 103.4, 10.0) == 101.5
    # nothing below the POC, so the area walks up through the empty [102,103) bin
    assert (profile.value_area_low, profile.value_area_high) == (101.0, 104.0)
    profile.reset()
    assert profile.poc is None and profile.value_area_low is None


def test_volume_profile_tie_takes_the_lower_bin_and_zero_volume_is_none() -> None:
    profile = VolumeProfile(period=2, bin_pct=1.0)
    push(profile, 100.0, 5.0)
    assert push(profile, 102.0, 5.0) == 100.5
    empty = VolumeProfile(period=2, bin_pct=1.0)
    push(empty, 100.0, 0.0)
    assert push(empty, 101.0, 0.0) is None


def test_volume_profile_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="bin_pct"):
        VolumeProfile(10, bin_pct=0.0)
    with pytest.raises(ValueError, match="value_area_pct"):
        VolumeProfile(10, value_area_pct=120.0)


# --- volume profile over the window's range (the source platform's) --------------------


def test_range_profile_bins_span_the_window_and_follow_it() -> None:
    profile = RangeVolumeProfile(period=4, bins=4, value_area_pct=70.0)
    candles = [(101.0, 99.0, 100.0, 10.0), (103.0, 101.0, 102.0, 30.0), (105.0, 103.0, 104.0, 5.0)]
    for high, low, close, volume in candles:
        assert profile.update(high, low, close, volume) is None
    # range 99..107 in 4 bins 2.0 wide: 10, 30, 5, 1; 70% of 46 = 32.2; POC bin 1
    assert profile.update(107.0, 105.0, 106.0, 1.0) == 102.0
    assert (profile.value_area_low, profile.value_area_high) == (99.0, 103.0)
    # the first candle leaves: range 101..109, bins 2.0 wide from 101: 30, 5, 1, 2
    assert profile.update(109.0, 107.0, 108.0, 2.0) == 102.0
    assert (profile.value_area_low, profile.value_area_high) == (101.0, 103.0)
    profile.reset()
    assert profile.poc is None and profile.value_area_low is None


def test_range_profile_top_edge_flat_window_and_no_volume() -> None:
    flat = RangeVolumeProfile(period=2, bins=10)
    flat.update(100.0, 100.0, 100.0, 1.0)
    assert flat.update(100.0, 100.0, 100.0, 1.0) == 100.0  # no range: one bin, all in it
    top = RangeVolumeProfile(period=2, bins=2)
    top.update(100.0, 100.0, 100.0, 1.0)
    assert top.update(102.0, 102.0, 102.0, 5.0) == 101.5  # the top price is in the last bin
    empty = RangeVolumeProfile(period=2, bins=5)
    empty.update(101.0, 99.0, 100.0, 0.0)
    assert empty.update(101.0, 99.0, 100.0, 0.0) is None
    with pytest.raises(ValueError, match="bins"):
        RangeVolumeProfile(10, bins=0)
    with pytest.raises(ValueError, match="value_area_pct"):
        RangeVolumeProfile(10, value_area_pct=0.0)
