"""ExitManager: stop-loss, take-profit, trailing stop and max holding at their boundaries,
for long and short positions; one exit in flight; flatten intents."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.clock import dt_to_ms
from tui_trader.domain.enums import IntentPurpose, MarketKind, OrderType, Side
from tui_trader.domain.market import Tick
from tui_trader.domain.portfolio import Position
from tui_trader.domain.rules import SymbolRules
from tui_trader.risk.context import RiskContext
from tui_trader.risk.exits import ExitLevels, ExitManager
from tui_trader.risk.limits import RiskLimits
from tui_trader.risk.manager import RiskManager

D = Decimal
BTC = "BTCUSDT"
T0 = datetime(2025, 3, 10, 12, tzinfo=UTC)
MS = dt_to_ms(T0)
RULES = SymbolRules(BTC, tick_size=D("0.01"), step_size=D("0.001"), min_qty=D("0.001"))


def make_limits(**over: Any) -> RiskLimits:
    base: dict[str, Any] = {
        "allow_market_orders": False,
        "max_position_pct": D(10),
        "max_open_positions": 5,
        "max_daily_loss_pct": D(5),
        "max_orders_per_sec": 1,
        "max_orders_per_day": 100,
        "futures_enabled": True,
        "max_leverage": 1,
        "max_slippage_bps": D(50),
        "circuit_breaker_pct": D(15),
        "anomaly_jump_pct": D(10),
        "anomaly_spread_pct": D(5),
        "balance_mismatch_tolerance": D("0.01"),
        "max_consecutive_failures": 3,
        "stop_loss_pct": D(2),
        "take_profit_pct": D(4),
        "trailing_stop_pct": D("1.5"),
        "max_holding_minutes": 240,
        "market_type": MarketKind.SPOT,
    }
    return RiskLimits(**{**base, **over})


def tick(price: str, seconds: float = 1, bid: str | None = None, ask: str | None = None) -> Tick:
    p = D(price)
    return Tick(BTC, T0 + timedelta(seconds=seconds), p, D(bid) if bid else p, D(ask) if ask else p)


LONG = Position(BTC, D("0.5"), D(100), opened_at=T0)
SHORT = Position(BTC, D("-0.5"), D(100), opened_at=T0)


def test_levels_hand_computed_and_unknown_symbol() -> None:
    exits = ExitManager(make_limits())
    assert exits.levels(BTC) == ExitLevels(None, None, None)
    assert exits.on_tick(tick("100"), LONG, RULES) is None
    assert exits.levels(BTC) == ExitLevels(D(98), D(104), None)  # trailing waits for a gain
    exits.on_tick(tick("102", 2), LONG, RULES)
    assert exits.levels(BTC) == ExitLevels(D(98), D(104), D("100.47"))


def test_stop_loss_long_boundary_and_marketable_limit() -> None:
    exits = ExitManager(make_limits())
    assert exits.on_tick(tick("98.01"), LONG, RULES) is None
    intent = exits.on_tick(tick("98", 2, bid="97.99", ask="98.01"), LONG, RULES)
    assert intent is not None
    assert intent.intent_id == f"stop_loss-{BTC}-{MS}"
    assert (intent.side, intent.order_type, intent.purpose) == (
        Side.SELL,
        OrderType.LIMIT,
        IntentPurpose.STOP_LOSS,
    )
    # 97.99 x (1 - 25 bps) = 97.745025, rounded up to the tick for a sell.
    assert intent.price == D("97.75")
    assert intent.quantity == D("0.5") and intent.reduce_only
    assert intent.reference_price == D(98) and intent.created_at == T0 + timedelta(seconds=2)


def test_take_profit_long_boundary() -> None:
    exits = ExitManager(make_limits())
    assert exits.on_tick(tick("103.99"), LONG, RULES) is None
    intent = exits.on_tick(tick("104", 2), LONG, RULES)
    assert intent is not None and intent.purpose is IntentPurpose.TAKE_PROFIT
    assert intent.intent_id == f"take_profit-{BTC}-{MS}"


def test_trailing_stop_follows_the_high_water_mark() -> None:
    exits = ExitManager(make_limits())
    assert exits.on_tick(tick("98.4"), LONG, RULES) is None  # no gain yet: stop-loss rules
    assert exits.on_tick(tick("102", 2), LONG, RULES) is None
    assert exits.on_tick(tick("101", 3), LONG, RULES) is None  # mark stays at 102
    assert exits.on_tick(tick("100.48", 4), LONG, RULES) is None
    intent = exits.on_tick(tick("100.47", 5), LONG, RULES)  # 102 x 0.985
    assert intent is not None and intent.purpose is IntentPurpose.TRAILING_STOP


def test_max_holding_boundary_and_zero_disables() -> None:
    exits = ExitManager(make_limits())
    almost = tick("100", 240 * 60 - 1)
    assert exits.on_tick(almost, LONG, RULES) is None
    intent = exits.on_tick(tick("100", 240 * 60), LONG, RULES)
    assert intent is not None and intent.purpose is IntentPurpose.MAX_HOLDING
    off = ExitManager(make_limits(max_holding_minutes=0))
    assert off.on_tick(tick("100", 86400 * 30), LONG, RULES) is None


def test_zero_pct_disables_each_level() -> None:
    limits = make_limits(stop_loss_pct=D(0), take_profit_pct=D(0), trailing_stop_pct=D(0))
    exits = ExitManager(limits)
    for n, price in enumerate(("150", "50", "200"), start=1):
        assert exits.on_tick(tick(price, n), LONG, RULES) is None
    assert exits.levels(BTC) == ExitLevels(None, None, None)


def test_short_position_levels_are_mirrored() -> None:
    exits = ExitManager(make_limits())
    assert exits.on_tick(tick("101.99"), SHORT, RULES) is None
    stop = exits.on_tick(tick("102", 2, bid="101.99", ask="102.01"), SHORT, RULES)
    assert stop is not None and stop.purpose is IntentPurpose.STOP_LOSS
    # 102.01 x (1 + 25 bps) = 102.265025, rounded down to the tick for a buy.
    assert (stop.side, stop.price, stop.quantity) == (Side.BUY, D("102.26"), D("0.5"))
    other = ExitManager(make_limits())
    assert other.on_tick(tick("98"), SHORT, RULES) is None  # low-water 98
    assert other.levels(BTC) == ExitLevels(D(102), D(96), D("99.47"))
    assert other.on_tick(tick("99.46", 2), SHORT, RULES) is None
    trail = other.on_tick(tick("99.47", 3), SHORT, RULES)
    assert trail is not None and trail.purpose is IntentPurpose.TRAILING_STOP
    tp = ExitManager(make_limits()).on_tick(tick("96"), SHORT, RULES)
    assert tp is not None and tp.purpose is IntentPurpose.TAKE_PROFIT


def test_market_exit_when_market_orders_allowed() -> None:
    exits = ExitManager(make_limits(), allow_market_orders=True)
    intent = exits.on_tick(tick("97"), LONG, RULES)
    assert intent is not None
    assert (intent.order_type, intent.price) == (OrderType.MARKET, None)
    assert ExitManager(make_limits(allow_market_orders=True)).allow_market_orders


def test_one_exit_in_flight_then_retry_with_a_new_id() -> None:
    exits = ExitManager(make_limits())
    first = exits.on_tick(tick("97"), LONG, RULES)
    assert first is not None
    assert exits.on_tick(tick("96", 2), LONG, RULES) is None  # in flight
    exits.exit_finished(BTC, filled=False)
    retry = exits.on_tick(tick("96", 3), LONG, RULES)
    assert retry is not None and retry.intent_id == f"stop_loss-{BTC}-{MS}-r1"
    exits.exit_finished(BTC, filled=False)
    again = exits.on_tick(tick("96", 4), LONG, RULES)
    assert again is not None and again.intent_id.endswith("-r2")
    exits.exit_finished(BTC, filled=True)
    assert exits.on_tick(tick("95", 5), LONG, RULES) is None  # filled: quiet until reset
    exits.reset(BTC)
    assert exits.on_tick(tick("95", 6), LONG, RULES) is not None


def test_a_new_position_starts_afresh() -> None:
    exits = ExitManager(make_limits())
    assert exits.on_tick(tick("97"), LONG, RULES) is not None
    reopened = Position(BTC, D("0.2"), D(90), opened_at=T0 + timedelta(hours=1))
    intent = exits.on_tick(tick("88.2", 3601), reopened, RULES)  # 90 x 0.98
    assert intent is not None and intent.quantity == D("0.2")
    assert intent.intent_id == f"stop_loss-{BTC}-{dt_to_ms(T0 + timedelta(hours=1))}"


def test_quantity_rounded_down_and_dust_ignored() -> None:
    exits = ExitManager(make_limits())
    odd = Position(BTC, D("0.5004"), D(100), opened_at=T0)
    intent = exits.on_tick(tick("97"), odd, RULES)
    assert intent is not None and intent.quantity == D("0.5")
    dust = Position("ETHUSDT", D("0.0004"), D(100), opened_at=T0)
    eth = Tick("ETHUSDT", T0, D(50), D(50), D(50))
    assert ExitManager(make_limits()).on_tick(eth, dust, RULES) is None


def test_flat_position_resets_and_mismatched_symbol_is_an_error() -> None:
    exits = ExitManager(make_limits())
    exits.on_tick(tick("102"), LONG, RULES)
    assert exits.on_tick(tick("90", 2), Position(BTC, D(0), D(100)), RULES) is None
    assert exits.levels(BTC) == ExitLevels(None, None, None)
    with pytest.raises(ValueError, match="ETHUSDT"):
        exits.on_tick(tick("100"), Position("ETHUSDT", D(1), D(100)), RULES)


def test_position_without_open_time_uses_first_seen_time() -> None:
    exits = ExitManager(make_limits())
    unknown = Position(BTC, D("0.5"), D(100))
    assert exits.on_tick(tick("100", 5), unknown, RULES) is None
    intent = exits.on_tick(tick("104", 600 * 60), unknown, RULES)  # no max-holding without a time
    assert intent is not None and intent.purpose is IntentPurpose.TAKE_PROFIT
    assert intent.intent_id == f"take_profit-{BTC}-{MS + 5000}"


def test_flatten_intent_ids_and_prices() -> None:
    exits = ExitManager(make_limits())
    now = T0 + timedelta(minutes=5)
    quote = tick("100", 300, bid="99.99", ask="100.01")
    flat = exits.flatten_intent(LONG, quote, RULES, IntentPurpose.FLATTEN, now)
    assert flat is not None
    assert flat.intent_id == f"flatten-{BTC}-{dt_to_ms(now)}"
    assert (flat.purpose, flat.side, flat.quantity, flat.price) == (
        IntentPurpose.FLATTEN,
        Side.SELL,
        D("0.5"),
        D("99.75"),  # 99.99 x 0.9975 = 99.740025, up to the tick
    )
    manual = [
        exits.flatten_intent(
            SHORT, D(100), RULES, IntentPurpose.MANUAL_CLOSE, now + timedelta(seconds=s)
        )
        for s in (1, 2)
    ]
    assert all(m is not None and m.side is Side.BUY and m.price == D("100.25") for m in manual)
    assert manual[0] is not None and manual[1] is not None
    assert manual[0].intent_id != manual[1].intent_id
    assert manual[0].intent_id.startswith(f"manual_close-{BTC}-")


def test_flatten_blocks_protective_exits_and_rejects_bad_purpose() -> None:
    exits = ExitManager(make_limits())
    assert exits.flatten_intent(LONG, D(100), RULES, IntentPurpose.FLATTEN, T0) is not None
    assert exits.in_flight(BTC)
    assert exits.on_tick(tick("90"), LONG, RULES) is None  # flatten in flight
    exits.exit_finished(BTC, filled=False)
    assert exits.on_tick(tick("90", 2), LONG, RULES) is not None
    with pytest.raises(ValueError, match="FLATTEN or MANUAL_CLOSE"):
        exits.flatten_intent(LONG, D(100), RULES, IntentPurpose.STOP_LOSS, T0)
    flat = Position(BTC, D(0), D(1))
    assert exits.flatten_intent(flat, D(100), RULES, IntentPurpose.FLATTEN, T0) is None
    dust = Position(BTC, D("0.0004"), D(100))
    assert exits.flatten_intent(dust, D(100), RULES, IntentPurpose.FLATTEN, T0) is None


def test_an_exit_from_elsewhere_holds_protective_exits() -> None:
    exits = ExitManager(make_limits())
    assert not exits.in_flight(BTC)
    exits.mark_in_flight(BTC)  # e.g. a strategy's exit signal was queued
    assert exits.on_tick(tick("90"), LONG, RULES) is None
    exits.exit_finished(BTC, filled=False)
    assert not exits.in_flight(BTC)
    intent = exits.on_tick(tick("90", 2), LONG, RULES)
    assert intent is not None and intent.intent_id == f"stop_loss-{BTC}-{MS}-r1"
    assert exits.in_flight(BTC)
    exits.reset(BTC)
    assert not exits.in_flight(BTC)
    assert exits.on_tick(tick("90", 3), LONG, RULES) is not None
    assert exits.on_tick(tick("90", 4), LONG, RULES) is None


def test_exit_intents_pass_the_risk_manager() -> None:
    """The marketable limit stays inside the slippage check, even in a bad day."""
    limits = make_limits(max_orders_per_sec=5)
    intent = ExitManager(limits).on_tick(tick("98", bid="97.99", ask="98.01"), LONG, RULES)
    assert intent is not None
    ctx = RiskContext(
        now=T0,
        equity=D(100),
        day_start_equity=D(1000),
        positions={BTC: LONG},
        open_orders=(),
        reference_prices={BTC: D(98)},
        rules={BTC: RULES},
        breaker_tripped=frozenset({BTC}),
        leverage=1,
        market=MarketKind.SPOT,
    )
    decision = RiskManager(limits).check(intent, ctx)
    assert decision.approved, decision.reason
