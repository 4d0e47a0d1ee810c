"""CircuitBreaker: trips at the threshold against the previous UTC-day close, clears when
the move falls back or a new UTC day begins."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.domain.enums import Severity
from tui_trader.domain.market import Candle, Tick
from tui_trader.risk.circuit_breaker import CircuitBreaker

D = Decimal
DAY1 = datetime(2025, 3, 10, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY2 + timedelta(days=1)


def tick(price: str, ts: datetime, symbol: str = "BTCUSDT") -> Tick:
    p = D(price)
    return Tick(symbol, ts, p, p, p)


def candle(close: str, open_time: datetime, closed: bool = True) -> Candle:
    c = D(close)
    end = open_time + timedelta(minutes=1) - timedelta(milliseconds=1)
    return Candle("BTCUSDT", open_time, end, c, c, c, c, D(1), closed=closed)


def test_no_previous_close_means_no_trip() -> None:
    breaker = CircuitBreaker(D(15))
    assert breaker.on_tick(tick("100", DAY1 + timedelta(hours=1))) is None
    assert breaker.on_tick(tick("200", DAY1 + timedelta(hours=2))) is None
    assert breaker.tripped == frozenset()


def test_trips_at_threshold_with_numbers_and_does_not_repeat() -> None:
    breaker = CircuitBreaker(D(15))
    breaker.seed_previous_close("BTCUSDT", D(100))
    at = DAY1 + timedelta(hours=3)
    assert breaker.on_tick(tick("114.99", at)) is None
    assert breaker.tripped == frozenset()
    event = breaker.on_tick(tick("115", at + timedelta(seconds=1)))
    assert event is not None
    assert (event.severity, event.kind, event.symbol) == (
        Severity.CRITICAL,
        "circuit_breaker",
        "BTCUSDT",
    )
    assert event.ts == at + timedelta(seconds=1)
    assert event.data["move_pct"] == "15.0000"
    assert event.data["previous_close"] == "100" and event.data["price"] == "115"
    assert event.data["tripped"] is True
    assert breaker.tripped == frozenset({"BTCUSDT"})
    assert breaker.on_tick(tick("120", at + timedelta(seconds=2))) is None  # still tripped


def test_clears_when_the_move_falls_back_and_trips_on_a_fall() -> None:
    breaker = CircuitBreaker(D(15))
    breaker.seed_previous_close("BTCUSDT", D(100))
    at = DAY1 + timedelta(hours=3)
    assert breaker.on_tick(tick("116", at)) is not None
    assert breaker.on_tick(tick("114.99", at + timedelta(milliseconds=500))) is None  # 14.99 %
    cleared = breaker.on_tick(tick("111.99", at + timedelta(seconds=1)))
    assert cleared is not None and cleared.severity is Severity.INFO
    assert "fell back below 12.0% (80% of the threshold)" in cleared.message
    assert cleared.data["tripped"] is False
    assert breaker.tripped == frozenset()
    fall = breaker.on_tick(tick("85", at + timedelta(seconds=2)))
    assert fall is not None and fall.severity is Severity.CRITICAL
    assert fall.data["move_pct"] == "15.0000"


def test_a_price_hovering_at_the_threshold_trips_once_not_every_tick() -> None:
    breaker = CircuitBreaker(D(15))
    breaker.seed_previous_close("BTCUSDT", D(100))
    at = DAY1 + timedelta(hours=3)
    prices = ["115.1", "114.9", "115.2", "114.8", "115.0", "113.0", "115.3"]
    events = [breaker.on_tick(tick(p, at + timedelta(seconds=i))) for i, p in enumerate(prices)]
    assert [e.severity for e in events if e is not None] == [Severity.CRITICAL]
    assert breaker.tripped == frozenset({"BTCUSDT"})


def test_previous_close_is_the_last_price_before_midnight() -> None:
    breaker = CircuitBreaker(D(15))
    breaker.on_tick(tick("100", DAY1 + timedelta(hours=1)))
    breaker.on_tick(tick("120", DAY2 - timedelta(milliseconds=1)))
    assert breaker.on_tick(tick("121", DAY2)) is None
    assert breaker.previous_close("BTCUSDT") == D(120)
    assert breaker.on_tick(tick("137.99", DAY2 + timedelta(hours=1))) is None
    event = breaker.on_tick(tick("138", DAY2 + timedelta(hours=2)))
    assert event is not None and event.data["move_pct"] == "15.0000"


def test_next_utc_day_clears_a_tripped_symbol() -> None:
    breaker = CircuitBreaker(D(15))
    breaker.seed_previous_close("BTCUSDT", D(100))
    assert breaker.on_tick(tick("130", DAY1 + timedelta(hours=23))) is not None
    cleared = breaker.on_tick(tick("131", DAY2 + timedelta(seconds=5)))
    assert cleared is not None and cleared.severity is Severity.INFO
    assert "new UTC day" in cleared.message
    assert cleared.data["previous_close"] == "130"
    assert breaker.tripped == frozenset()


def test_late_tick_from_a_past_day_is_ignored() -> None:
    breaker = CircuitBreaker(D(15))
    breaker.seed_previous_close("BTCUSDT", D(100))
    breaker.on_tick(tick("101", DAY2 + timedelta(hours=1)))
    assert breaker.on_tick(tick("200", DAY2 - timedelta(seconds=1))) is None
    assert breaker.tripped == frozenset()
    assert breaker.on_tick(tick("102", DAY2 + timedelta(hours=2))) is None  # prev unchanged
    assert breaker.previous_close("BTCUSDT") == D(100)


def test_candles_use_their_close_time_for_the_day() -> None:
    breaker = CircuitBreaker(D(15))
    assert breaker.on_candle(candle("100", DAY2 - timedelta(minutes=1))) is None
    event = breaker.on_candle(candle("116", DAY2))
    assert event is not None and event.data["previous_close"] == "100"
    assert event.ts == DAY2 + timedelta(minutes=1) - timedelta(milliseconds=1)
    forming = breaker.on_candle(candle("100", DAY2 + timedelta(minutes=1), closed=False))
    assert forming is not None and forming.severity is Severity.INFO
    assert forming.ts == DAY2 + timedelta(minutes=1)


def test_symbols_are_independent() -> None:
    breaker = CircuitBreaker(D(10))
    breaker.seed_previous_close("BTCUSDT", D(100))
    breaker.seed_previous_close("ETHUSDT", D(10))
    breaker.on_tick(tick("111", DAY3, "BTCUSDT"))
    breaker.on_tick(tick("10.5", DAY3, "ETHUSDT"))
    assert breaker.tripped == frozenset({"BTCUSDT"})
    breaker.on_tick(tick("9", DAY3 + timedelta(seconds=1), "ETHUSDT"))
    assert breaker.tripped == frozenset({"BTCUSDT", "ETHUSDT"})


def test_seed_replaces_the_previous_close_of_a_tracked_symbol() -> None:
    breaker = CircuitBreaker(D(15))
    breaker.on_tick(tick("100", DAY1))
    breaker.seed_previous_close("BTCUSDT", D(80))
    event = breaker.on_tick(tick("100", DAY1 + timedelta(seconds=1)))
    assert event is not None and event.data["move_pct"] == "25.0000"


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="positive"):
        CircuitBreaker(D(0))
    breaker = CircuitBreaker(D(15))
    with pytest.raises(ValueError, match="positive"):
        breaker.seed_previous_close("BTCUSDT", D(0))
    breaker.seed_previous_close("BTCUSDT", D(100))
    assert breaker.on_tick(tick("0", DAY1)) is None
    assert breaker.tripped == frozenset()
    assert breaker.previous_close("ETHUSDT") is None


def test_huge_move_is_reported_without_overflow() -> None:
    breaker = CircuitBreaker(D(15))
    breaker.seed_previous_close("BTCUSDT", D("1E-20"))
    event = breaker.on_tick(tick("1E+20", DAY1))
    assert event is not None and event.data["move_pct"] == "1" + "0" * 42 + ".0000"
