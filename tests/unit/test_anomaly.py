"""AnomalyMonitor: price jumps, wide spreads (reported once), balance mismatches and the
consecutive-failure kill-switch trigger."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.domain.enums import Severity
from tui_trader.domain.market import Tick
from tui_trader.risk.anomaly import AnomalyMonitor

D = Decimal
T0 = datetime(2025, 3, 10, 12, tzinfo=UTC)


def monitor() -> AnomalyMonitor:
    return AnomalyMonitor(D(10), D(5), D("0.01"), 3)


def tick(price: str, bid: str | None = None, ask: str | None = None, n: int = 0) -> Tick:
    p = D(price)
    return Tick("BTCUSDT", T0 + timedelta(seconds=n), p, D(bid) if bid else p, D(ask) if ask else p)


def test_price_jump_at_threshold() -> None:
    mon = monitor()
    assert mon.on_tick(tick("100")) == []
    assert mon.on_tick(tick("109.99", n=1)) == []
    mon2 = monitor()
    mon2.on_tick(tick("100"))
    [event] = mon2.on_tick(tick("110", n=1))
    assert (event.severity, event.kind, event.symbol) == (
        Severity.WARNING,
        "price_jump",
        "BTCUSDT",
    )
    assert event.data == {"previous": "100", "price": "110", "move_pct": "10.0000"}
    assert event.ts == T0 + timedelta(seconds=1)
    [down] = mon2.on_tick(tick("99", n=2))  # 110 -> 99 is -10 %
    assert down.data["move_pct"] == "10.0000"


def test_jump_is_tick_to_tick_per_symbol() -> None:
    mon = monitor()
    mon.on_tick(tick("100"))
    other = Tick("ETHUSDT", T0, D(200), D(200), D(200))
    assert mon.on_tick(other) == []  # a different symbol is not a jump from 100
    for n, price in enumerate(("105", "110", "115.5"), start=1):
        assert mon.on_tick(tick(price, n=n)) == []  # 5 % steps, never 10 %


def test_wide_spread_reported_once_while_it_persists() -> None:
    mon = monitor()
    assert mon.on_tick(tick("100", "97.51", "102.49")) == []  # 4.98 %
    [event] = mon.on_tick(tick("100", "97.5", "102.5", n=1))  # 5 %
    assert (event.kind, event.severity) == ("wide_spread", Severity.WARNING)
    assert event.data["spread_pct"] == "5.0000"
    assert mon.on_tick(tick("100", "97", "103", n=2)) == []
    assert mon.on_tick(tick("100", "99.9", "100.1", n=3)) == []
    [again] = mon.on_tick(tick("100", "97", "103", n=4))
    assert again.kind == "wide_spread"


def test_jump_and_spread_together_and_bad_tick() -> None:
    mon = monitor()
    mon.on_tick(tick("100"))
    kinds = [e.kind for e in mon.on_tick(tick("120", "110", "130", n=1))]
    assert kinds == ["price_jump", "wide_spread"]
    [bad] = mon.on_tick(tick("0", n=2))
    assert (bad.kind, bad.severity) == ("bad_tick", Severity.WARNING)
    assert mon.on_tick(tick("121", "110", "130", n=3)) == []  # compared with 120, not 0


def test_balance_mismatch_beyond_tolerance() -> None:
    mon = monitor()
    expected = {"USDT": D("1000"), "BTC": D("0.5")}
    assert mon.check_balances(expected, {"USDT": D("1000.01"), "BTC": D("0.5")}, T0) == []
    events = mon.check_balances(expected, {"USDT": D("999.989"), "ETH": D("0.02")}, T0)
    assert [e.data["asset"] for e in events] == ["BTC", "ETH", "USDT"]
    assert all(e.severity is Severity.CRITICAL and e.kind == "balance_mismatch" for e in events)
    btc, eth, usdt = events
    assert btc.data == {"asset": "BTC", "expected": "0.5", "actual": "0", "diff": "-0.5"}
    assert eth.data["diff"] == "0.02"
    assert usdt.data["diff"] == "-0.011" and usdt.ts == T0


def test_consecutive_failures_trigger_the_kill_switch() -> None:
    mon = monitor()
    assert mon.record_failure("feed", "timeout", T0) is None
    assert mon.record_failure("broker", "502", T0) is None
    assert mon.record_failure("feed", "timeout", T0) is None
    event = mon.record_failure("feed", "connection reset", T0 + timedelta(seconds=3))
    assert event is not None
    assert (event.severity, event.kind) == (Severity.CRITICAL, "kill_switch_trigger")
    assert event.data == {"source": "feed", "failures": 3, "detail": "connection reset"}
    assert mon.failures == {"feed": 3, "broker": 1}


def test_success_resets_and_a_long_failure_run_triggers_again() -> None:
    mon = monitor()
    mon.record_failure("feed", "x", T0)
    mon.record_failure("feed", "x", T0)
    mon.record_success("feed")
    assert mon.failures["feed"] == 0
    results = [mon.record_failure("feed", "x", T0) for _ in range(6)]
    assert [r is not None for r in results] == [False, False, True, False, False, True]
    assert results[5] is not None and results[5].data["failures"] == 6


def test_constructor_rejects_bad_limits() -> None:
    with pytest.raises(ValueError, match="positive"):
        AnomalyMonitor(D(0), D(5), D(0), 3)
    with pytest.raises(ValueError, match="negative"):
        AnomalyMonitor(D(10), D(5), D(-1), 3)
    with pytest.raises(ValueError, match="max_consecutive_failures"):
        AnomalyMonitor(D(10), D(5), D(0), 0)
