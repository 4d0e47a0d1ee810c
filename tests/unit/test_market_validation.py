from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle, Tick
from tui_trader.market.validation import (
    check_candle,
    check_tick,
    screen_candle,
    screen_tick,
    tick_event,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
D = Decimal


def tick(price: str = "100", bid: str = "99.9", ask: str = "100.1", volume: str = "1") -> Tick:
    return Tick("BTCUSDT", T0, D(price), D(bid), D(ask), D(volume))


def candle(o: str = "100", h: str = "110", low: str = "90", c: str = "105", v: str = "3") -> Candle:
    close_time = T0 + timedelta(minutes=1, milliseconds=-1)
    return Candle("ETHUSDT", T0, close_time, D(o), D(h), D(low), D(c), D(v))


def test_good_tick_and_candle_pass() -> None:
    assert check_tick(tick()) is None
    assert check_tick(tick(bid="100", ask="100", volume="0")) is None  # locked book is usable
    assert check_candle(candle()) is None
    assert check_candle(candle(o="90", h="90", low="90", c="90", v="0")) is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"price": "0"}, "non-positive price 0"),
        ({"price": "-5"}, "non-positive price -5"),
        ({"bid": "0"}, "non-positive bid 0"),
        ({"ask": "-1"}, "non-positive ask -1"),
        ({"bid": "100.2", "ask": "100.1"}, "bid 100.2 above ask 100.1"),
        ({"volume": "-0.1"}, "negative volume -0.1"),
        ({"price": "NaN"}, "price is not a finite number (NaN)"),
        ({"volume": "Infinity"}, "volume is not a finite number (Infinity)"),
    ],
)
def test_bad_tick_reasons(fields: dict[str, str], reason: str) -> None:
    assert check_tick(tick(**fields)) == reason


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"o": "0"}, "non-positive open 0"),
        ({"low": "-1"}, "non-positive low -1"),
        ({"c": "0"}, "non-positive close 0"),
        ({"h": "80"}, "high 80 below low 90"),
        ({"o": "111"}, "open 111 outside [low 90, high 110]"),
        ({"c": "89.99"}, "close 89.99 outside [low 90, high 110]"),
        ({"v": "-3"}, "negative volume -3"),
        ({"h": "sNaN"}, "high is not a finite number (sNaN)"),
    ],
)
def test_bad_candle_reasons(fields: dict[str, str], reason: str) -> None:
    assert check_candle(candle(**fields)) == reason


def test_screen_tick_reports_a_warning_with_raw_values() -> None:
    events: list[SafetyEvent] = []
    assert screen_tick(tick(), events.append) is True
    assert events == []
    assert screen_tick(tick(price="0", bid="0"), events.append) is False
    (event,) = events
    assert event.severity is Severity.WARNING
    assert event.kind == "bad_market_data"
    assert event.symbol == "BTCUSDT"
    assert event.ts == T0
    assert "BTCUSDT" in event.message and "non-positive price 0" in event.message
    assert event.data == {
        "price": "0",
        "bid": "0",
        "ask": "100.1",
        "volume": "1",
        "ts": T0.isoformat(),
    }


def test_screen_candle_reports_with_source_and_drops_without_listener() -> None:
    events: list[SafetyEvent] = []
    bad = candle(h="80")
    assert screen_candle(bad, events.append, "data.csv:7") is False
    (event,) = events
    assert event.symbol == "ETHUSDT"
    assert event.message == "ETHUSDT: dropped market data: high 80 below low 90"
    assert event.data["source"] == "data.csv:7"
    assert event.data["high"] == "80" and event.data["low"] == "90"
    assert all(isinstance(value, str) for value in event.data.values())
    assert screen_candle(bad, None) is False  # dropped even when nobody listens


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"price": "1e999999"}, "price is above the 1e21 bound (1E+999999)"),
        ({"bid": "1e-999999"}, "bid is below the 1e-18 bound and not zero (1E-999999)"),
        ({"volume": "1" * 500}, "volume is above the 1e21 bound"),
    ],
)
def test_out_of_range_values_are_refused_with_a_short_reason(
    fields: dict[str, str], reason: str
) -> None:
    values = {"price": "100", "bid": "99", "ask": "101", "volume": "1"} | fields
    tick = Tick("BTCUSDT", T0, *(Decimal(values[k]) for k in ("price", "bid", "ask", "volume")))
    found = check_tick(tick)
    assert found is not None and found.startswith(reason) and len(found) < 120
    event = tick_event(tick, found)
    assert all(len(value) <= 40 for value in event.data.values())
