"""The volatility detector: price moves by event time, wide and heavy candles, logs."""

import logging
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.config import Settings
from tui_trader.core.volatility import TriggerKind, VolatilityDetector, VolatilityTrigger
from tui_trader.domain import Candle, Tick
from tui_trader.runtime.core_parts import volatility_detector

T0 = datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
LOGGER = "tui_trader.core.volatility"


def tick(seconds: float, price: str, symbol: str = "BTCUSDT") -> Tick:
    p = Decimal(price)
    return Tick(symbol, T0 + timedelta(seconds=seconds), p, p, p)


def candle(i: int, low: str, high: str, volume: str = "10", closed: bool = True) -> Candle:
    return Candle(
        "BTCUSDT",
        T0 + timedelta(minutes=i),
        T0 + timedelta(minutes=i + 1),
        Decimal(low),
        Decimal(high),
        Decimal(low),
        Decimal(high),
        Decimal(volume),
        closed=closed,
    )


def detector(**changes: float) -> VolatilityDetector:
    args = {
        "mp_delta_pct": 1.0,
        "mp_window_sec": 60,
        "kline_range_pct": 1.5,
        "vol_mult": 3.0,
        "vol_lookback": 3,
    } | changes
    return VolatilityDetector(**args)  # type: ignore[arg-type]


def feed_ticks(d: VolatilityDetector, ticks: list[Tick]) -> list[VolatilityTrigger]:
    return [t for x in ticks for t in d.on_tick(x)]


# --- price moves on ticks --------------------------------------------------------------


def test_a_rise_within_the_window_triggers_once() -> None:
    d = detector()
    found = feed_ticks(d, [tick(0, "100"), tick(20, "100.5"), tick(40, "101"), tick(45, "101.5")])
    assert found == [
        VolatilityTrigger(
            TriggerKind.PRICE_MOVE,
            "BTCUSDT",
            T0 + timedelta(seconds=40),
            (101 - 100) / 100 * 100,
            1.0,
            Decimal("100"),
            Decimal("101"),
        )
    ]


def test_the_window_is_event_time() -> None:
    # the same 1 % rise spread over 61 s: 100 has left the window when 101 arrives
    slow = feed_ticks(detector(), [tick(0, "100"), tick(30, "100.5"), tick(61, "101")])
    assert slow == []
    fast = feed_ticks(detector(), [tick(0, "100"), tick(30, "100.5"), tick(60, "101")])
    assert [t.base_price for t in fast] == [Decimal("100")]  # 60 s ago is still inside


def test_a_drop_is_negative_and_measured_from_the_window_high() -> None:
    found = feed_ticks(detector(), [tick(0, "101.5"), tick(5, "102"), tick(10, "100.9")])
    assert len(found) == 1
    drop = found[0]
    assert drop.delta_pct == pytest.approx(-(102 - 100.9) / 102 * 100)
    assert (drop.base_price, drop.current_price) == (Decimal("102"), Decimal("100.9"))


def test_rearms_only_after_falling_back_below_the_threshold() -> None:
    d = detector()
    ticks = [tick(0, "100"), tick(1, "101"), tick(2, "101.2"), tick(3, "100.8"), tick(4, "101.1")]
    found = feed_ticks(d, ticks)
    # 101 fires; 101.2 persists (quiet); 100.8 is 0.8 % (re-arms); 101.1 fires again
    assert [t.ts for t in found] == [T0 + timedelta(seconds=1), T0 + timedelta(seconds=4)]


def test_symbols_are_tracked_apart() -> None:
    d = detector()
    found = feed_ticks(
        d, [tick(0, "100"), tick(1, "50", "ETHUSDT"), tick(2, "100.5"), tick(3, "50.6", "ETHUSDT")]
    )
    assert [(t.symbol, t.base_price) for t in found] == [("ETHUSDT", Decimal("50"))]


def test_late_ticks_do_not_break_the_window() -> None:
    d = detector()
    found = feed_ticks(d, [tick(100, "100"), tick(50, "100.2"), tick(101, "101.5")])
    assert [t.base_price for t in found] == [Decimal("100")]


def brute_force(ticks: list[tuple[float, float]], threshold: float, window: float) -> list[int]:
    """Indices of firing ticks by scanning the whole window each time (O(n^2))."""
    fired, armed_up, armed_down = [], True, True
    for i, (ts, price) in enumerate(ticks):
        inside = [p for t, p in ticks[: i + 1] if t >= ts - window]
        rise = (price - min(inside)) / min(inside) * 100
        drop = (max(inside) - price) / max(inside) * 100
        if (rise >= threshold and armed_up) or (drop >= threshold and armed_down):
            fired.append(i)
        armed_up, armed_down = rise < threshold, drop < threshold
    return fired


def test_monotonic_window_matches_a_brute_force_scan() -> None:
    rng = random.Random(11)
    raw, ts, price = [], 0.0, 100.0
    for _ in range(1500):
        ts += rng.choice([0.0, 0.5, 1.0, 3.0, 7.0])
        price = round(price * (1 + rng.gauss(0, 0.002)), 2)
        raw.append((ts, price))
    d = detector(mp_delta_pct=0.5, mp_window_sec=20)
    fired = [i for i, (t, p) in enumerate(raw) if d.on_tick(tick(t, str(p)))]
    expected = brute_force(raw, 0.5, 20)
    assert len(expected) > 10
    assert fired == expected


# --- candles ---------------------------------------------------------------------------


def test_wide_candle_triggers_with_low_and_high() -> None:
    found = detector().on_candle(candle(0, "100", "102"))
    assert [
        (t.kind, t.delta_pct, t.threshold_pct, t.base_price, t.current_price) for t in found
    ] == [(TriggerKind.KLINE_RANGE, 2.0, 1.5, Decimal("100"), Decimal("102"))]
    assert found[0].ts == T0 + timedelta(minutes=1)


def test_volume_spike_against_the_previous_candles() -> None:
    d = detector()
    assert [d.on_candle(candle(i, "100", "100.1", "10")) for i in range(3)] == [[], [], []]
    spike = d.on_candle(candle(3, "100", "100.1", "30"))  # 30 >= 3 x mean(10, 10, 10)
    assert [(t.kind, t.delta_pct, t.threshold_pct) for t in spike] == [
        (TriggerKind.VOLUME_SPIKE, 300.0, 300.0)
    ]
    # mean of the previous three is now (10 + 10 + 30) / 3: 40 is only 2.4x
    assert d.on_candle(candle(4, "100", "100.1", "40")) == []


def test_no_volume_trigger_before_the_lookback_is_full() -> None:
    d = detector()
    d.on_candle(candle(0, "100", "100.1", "1"))
    assert d.on_candle(candle(1, "100", "100.1", "1000")) == []


def test_forming_candles_are_ignored() -> None:
    d = detector()
    assert d.on_candle(candle(0, "100", "105", closed=False)) == []


# --- logging ---------------------------------------------------------------------------


def test_triggers_log_at_info_with_the_numbers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    detector().on_candle(candle(0, "100", "102"))
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "volatility trigger kline_range BTCUSDT: delta_pct=2.0000 threshold_pct=1.5000 "
        "base=100 current=102"
    )
    assert (record.delta_pct, record.threshold_pct) == (2.0, 1.5)  # type: ignore[attr-defined]
    assert (record.base_price, record.current_price) == ("100", "102")  # type: ignore[attr-defined]


def test_near_misses_log_at_debug_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    d = detector()
    assert d.on_candle(candle(0, "100", "101.3")) == []  # 1.3 >= 0.8 x 1.5
    assert feed_ticks(d, [tick(0, "100"), tick(1, "100.85")]) == []  # 0.85 >= 0.8 x 1.0
    assert d.on_candle(candle(1, "100", "101.1")) == []  # 1.1 < 1.2: not even near
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert messages == [
        (
            logging.DEBUG,
            "volatility near miss kline_range BTCUSDT: delta_pct=1.3000 "
            "threshold_pct=1.5000 base=100 current=101.3",
        ),
        (
            logging.DEBUG,
            "volatility near miss price_move BTCUSDT: delta_pct=0.8500 "
            "threshold_pct=1.0000 base=100 current=100.85",
        ),
    ]


def test_near_misses_are_not_logged_when_debug_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    detector().on_candle(candle(0, "100", "101.3"))
    assert caplog.records == []


# --- construction ----------------------------------------------------------------------


def test_from_settings_uses_the_same_names() -> None:
    settings = Settings(
        mp_delta_pct=Decimal(2),
        mp_window_sec=10,
        kline_range_pct=Decimal(5),
        vol_mult=Decimal(2),
        vol_lookback=1,
    )
    d = volatility_detector(settings)
    assert feed_ticks(d, [tick(0, "100"), tick(5, "101.9")]) == []
    assert len(feed_ticks(d, [tick(6, "102")])) == 1
    d.on_candle(candle(0, "100", "100.1", "10"))
    assert [t.kind for t in d.on_candle(candle(1, "100", "100.1", "20"))] == [
        TriggerKind.VOLUME_SPIKE
    ]


@pytest.mark.parametrize("field", ["mp_delta_pct", "mp_window_sec", "vol_lookback"])
def test_non_positive_settings_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=f"{field}=0: must be > 0"):
        detector(**{field: 0})


def test_reset_forgets_history() -> None:
    d = detector()
    d.on_tick(tick(0, "100"))
    d.reset()
    assert d.on_tick(tick(1, "102")) == []
