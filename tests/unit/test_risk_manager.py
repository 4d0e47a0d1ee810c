"""RiskManager: each check passing and refusing at its boundary, exits exempt from the
entry-only limits, UTC-day rollover of the daily counters."""

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.config import Settings
from tui_trader.domain.enums import IntentPurpose, MarketKind, OrderStatus, OrderType, Side
from tui_trader.domain.orders import Order, OrderIntent
from tui_trader.domain.portfolio import Position
from tui_trader.domain.rules import SymbolRules
from tui_trader.risk.context import RiskContext, RiskDecision
from tui_trader.risk.limits import RiskLimits
from tui_trader.risk.manager import RiskManager
from tui_trader.runtime.core_parts import risk_limits

D = Decimal
T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
BTC = "BTCUSDT"
RULES = {
    s: SymbolRules(s, tick_size=D("0.01"), step_size=D("0.001"), min_qty=D("0.001"))
    for s in (BTC, "ETHUSDT", "SOLUSDT")
}


def make_limits(**over: Any) -> RiskLimits:
    base: dict[str, Any] = {
        "allow_market_orders": False,
        "max_position_pct": D(10),
        "max_open_positions": 2,
        "max_daily_loss_pct": D(5),
        "max_orders_per_sec": 2,
        "max_orders_per_day": 3,
        "futures_enabled": False,
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


def make_ctx(**over: Any) -> RiskContext:
    base: dict[str, Any] = {
        "now": T0,
        "equity": D(10000),
        "day_start_equity": D(10000),
        "positions": {},
        "open_orders": (),
        "reference_prices": {BTC: D(100), "ETHUSDT": D(100), "SOLUSDT": D(100)},
        "rules": RULES,
        "breaker_tripped": frozenset(),
        "leverage": 1,
        "market": MarketKind.SPOT,
    }
    return RiskContext(**{**base, **over})


def make_intent(
    qty: str = "1",
    price: str | None = "100",
    side: Side = Side.BUY,
    purpose: IntentPurpose = IntentPurpose.ENTRY,
    symbol: str = BTC,
    order_type: OrderType = OrderType.LIMIT,
) -> OrderIntent:
    return OrderIntent(
        intent_id=f"test-{symbol}-{side}-{qty}",
        symbol=symbol,
        side=side,
        order_type=order_type,
        quantity=D(qty),
        price=D(price) if price is not None else None,
        purpose=purpose,
        created_at=T0,
        reference_price=D(100),
    )


def make_order(qty: str, side: Side = Side.BUY, symbol: str = BTC, **over: Any) -> Order:
    base: dict[str, Any] = {
        "client_order_id": f"c-{symbol}-{qty}",
        "intent_id": f"i-{symbol}-{qty}",
        "symbol": symbol,
        "side": side,
        "order_type": OrderType.LIMIT,
        "quantity": D(qty),
        "price": D(100),
        "status": OrderStatus.NEW,
        "created_at": T0,
        "updated_at": T0,
    }
    return Order(**{**base, **over})


def long(qty: str, symbol: str = BTC) -> Position:
    return Position(symbol, D(qty), D(100), opened_at=T0)


def check_of(decision: RiskDecision, name: str) -> Any:
    return next(c for c in decision.checks if c.name == name)


def run(intent: OrderIntent, ctx: RiskContext | None = None, **limits: Any) -> RiskDecision:
    return RiskManager(make_limits(**limits)).check(intent, ctx or make_ctx())


ALL_CHECKS = [
    "order_type",
    "filters",
    "slippage",
    "spot_oversell",
    "orders_per_sec",
    "futures_leverage",
    "position_size",
    "open_positions",
    "daily_loss",
    "circuit_breaker",
    "orders_per_day",
]


def test_from_settings_copies_every_field() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        allow_market_orders=True,
        max_position_pct=D("7.5"),
        max_orders_per_day=42,
        futures_enabled=True,
        max_leverage=3,
        market_type=MarketKind.FUTURES,
        trailing_stop_pct=D(0),
        max_holding_minutes=0,
    )
    limits = risk_limits(settings)
    for field in fields(RiskLimits):
        assert getattr(limits, field.name) == getattr(settings, field.name), field.name
    assert limits.max_position_pct == D("7.5")
    assert limits.max_leverage == 3 and limits.market_type is MarketKind.FUTURES


def test_clean_entry_is_approved_with_every_check_recorded() -> None:
    decision = run(make_intent())
    assert decision.approved and decision.reason == "approved"
    assert [c.name for c in decision.checks] == ALL_CHECKS
    assert all(c.passed for c in decision.checks)
    assert check_of(decision, "position_size").value == "100"
    assert check_of(decision, "position_size").limit == "1000"


def test_market_order_refused_unless_allowed() -> None:
    intent = make_intent(price=None, order_type=OrderType.MARKET)
    refused = run(intent)
    assert not refused.approved
    assert refused.reason.startswith("order_type: market orders are disabled")
    assert run(intent, allow_market_orders=True).approved


def test_limit_without_price_refused() -> None:
    decision = run(make_intent(price=None))
    assert not decision.approved and "without a price" in decision.reason


def test_filters_refuse_with_the_exchange_reason() -> None:
    off_tick = run(make_intent(price="100.005"))
    assert not off_tick.approved
    assert "PRICE_FILTER" in check_of(off_tick, "filters").reason
    small = run(make_intent(qty="0.049"))  # 4.9 < min notional 5
    assert not small.approved and "NOTIONAL" in small.reason
    assert run(make_intent(qty="0.05")).approved  # exactly 5
    odd_step = run(make_intent(qty="0.0505"))
    assert "LOT_SIZE" in odd_step.reason


def test_filters_refuse_a_symbol_without_rules() -> None:
    decision = run(make_intent(symbol="XRPUSDT"))
    assert not decision.approved
    assert "no exchange rules for XRPUSDT" in check_of(decision, "filters").reason


def test_market_order_skips_the_tick_filter_but_not_notional() -> None:
    intent = replace(
        make_intent(price=None, order_type=OrderType.MARKET), reference_price=D("100.005")
    )
    assert run(intent, allow_market_orders=True).approved
    tiny = replace(intent, quantity=D("0.001"))
    assert "NOTIONAL" in run(tiny, allow_market_orders=True).reason


def test_position_size_boundary_counts_position_and_open_entry_orders() -> None:
    # cap = 10 % of 10000 = 1000; held 5 x 100 = 500; open entry 3 left x 100 = 300.
    open_entry = make_order("4", filled_quantity=D(1))
    exit_order = make_order("9", side=Side.SELL, purpose=IntentPurpose.STOP_LOSS)
    ctx = make_ctx(positions={BTC: long("5")}, open_orders=[open_entry, exit_order])
    at_cap = run(make_intent(qty="2"), ctx)
    assert at_cap.approved and check_of(at_cap, "position_size").value == "1000"
    over = run(make_intent(qty="2.001"), ctx)
    assert not over.approved
    assert check_of(over, "position_size").value == "1000.1"
    assert over.reason.startswith("position_size:")


def test_position_size_refuses_without_equity() -> None:
    assert not run(make_intent(), make_ctx(equity=D(0))).approved


def test_open_positions_a_new_symbol_would_exceed() -> None:
    one = make_ctx(positions={BTC: long("1")})
    assert run(make_intent(symbol="ETHUSDT"), one).approved  # 2 of 2
    two = make_ctx(positions={BTC: long("1"), "ETHUSDT": long("1", "ETHUSDT")})
    refused = run(make_intent(symbol="SOLUSDT"), two)
    assert not refused.approved
    assert (check_of(refused, "open_positions").value, refused.reason[:15]) == (
        "3",
        "open_positions:",
    )
    assert run(make_intent(symbol=BTC), two).approved  # adding to a held symbol


def test_open_positions_counts_pending_entry_orders_and_ignores_flat() -> None:
    ctx = make_ctx(
        positions={BTC: long("1"), "SOLUSDT": long("0", "SOLUSDT")},
        open_orders=[make_order("1", symbol="ETHUSDT")],
    )
    assert not run(make_intent(symbol="SOLUSDT"), ctx).approved
    flat_only = make_ctx(positions={BTC: long("1"), "SOLUSDT": long("0", "SOLUSDT")})
    assert run(make_intent(symbol="SOLUSDT"), flat_only).approved


def test_daily_loss_boundary() -> None:
    below = run(make_intent(), make_ctx(equity=D("9501")))
    assert below.approved and check_of(below, "daily_loss").value == "4.99%"
    at = run(make_intent(), make_ctx(equity=D("9500")))
    assert not at.approved and at.reason.startswith("daily_loss: day loss 5%")
    assert not run(make_intent(), make_ctx(equity=D("9000"))).approved
    assert not run(make_intent(), make_ctx(day_start_equity=D(0))).approved


def test_daily_loss_resets_with_the_next_utc_day_start_equity() -> None:
    yesterday = make_ctx(now=datetime(2025, 3, 10, 23, 59, 59, tzinfo=UTC), equity=D(9000))
    assert not run(make_intent(), yesterday).approved
    today = make_ctx(
        now=datetime(2025, 3, 11, 0, 0, tzinfo=UTC), equity=D(9000), day_start_equity=D(9000)
    )
    assert run(make_intent(), today).approved


def test_orders_per_second_sliding_window() -> None:
    manager = RiskManager(make_limits(max_orders_per_day=100))
    manager.record_sent(T0)
    assert manager.check(make_intent(), make_ctx(now=T0 + timedelta(milliseconds=100))).approved
    manager.record_sent(T0 + timedelta(milliseconds=500))
    busy = manager.check(make_intent(), make_ctx(now=T0 + timedelta(milliseconds=999)))
    assert not busy.approved and busy.reason.startswith("orders_per_sec: 2 orders")
    # Exits respect the exchange rate limit as well.
    sell = make_intent(side=Side.SELL, purpose=IntentPurpose.STOP_LOSS)
    held = make_ctx(now=T0 + timedelta(milliseconds=999), positions={BTC: long("1")})
    assert not manager.check(sell, held).approved
    # At T0 + 1 s the first send has left the window.
    assert manager.check(make_intent(), make_ctx(now=T0 + timedelta(seconds=1))).approved


def test_orders_per_day_boundary_and_utc_rollover() -> None:
    manager = RiskManager(make_limits(max_orders_per_day=3))
    day = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    for minutes in (0, 1):
        manager.record_sent(day + timedelta(minutes=minutes))
    assert manager.check(make_intent(), make_ctx(now=day + timedelta(hours=1))).approved
    manager.record_sent(day + timedelta(minutes=2))
    last_ms = datetime(2025, 3, 10, 23, 59, 59, 999000, tzinfo=UTC)
    full = manager.check(make_intent(), make_ctx(now=last_ms))
    assert not full.approved and check_of(full, "orders_per_day").value == "3"
    assert manager.orders_today(last_ms) == 3
    midnight = datetime(2025, 3, 11, 0, 0, tzinfo=UTC)
    assert manager.orders_today(midnight) == 0
    assert manager.check(make_intent(), make_ctx(now=midnight)).approved
    manager.record_sent(midnight)
    assert manager.orders_today(midnight) == 1


def test_orders_per_day_ignores_a_late_record_from_yesterday() -> None:
    manager = RiskManager(make_limits())
    manager.record_sent(datetime(2025, 3, 11, 0, 0, 1, tzinfo=UTC))
    manager.record_sent(datetime(2025, 3, 10, 23, 59, 59, tzinfo=UTC))
    assert manager.orders_today(datetime(2025, 3, 11, 8, tzinfo=UTC)) == 1


def test_futures_refused_unless_enabled_and_leverage_within_max() -> None:
    futures = make_ctx(market=MarketKind.FUTURES, leverage=5)
    disabled = run(make_intent(), futures)
    assert not disabled.approved and "FUTURES_ENABLED=false" in disabled.reason
    assert run(make_intent(), futures, futures_enabled=True, max_leverage=5).approved
    over = run(make_intent(), replace(futures, leverage=6), futures_enabled=True, max_leverage=5)
    assert not over.approved
    assert (check_of(over, "futures_leverage").value, check_of(over, "futures_leverage").limit) == (
        "6x",
        "5x",
    )


def test_slippage_boundary_buy_and_sell() -> None:
    assert run(make_intent(price="100.50")).approved  # exactly 50 bps above
    buy = run(make_intent(price="100.51"))
    assert not buy.approved and check_of(buy, "slippage").value == "51 bps"
    held = make_ctx(positions={BTC: long("1")})
    assert run(
        make_intent(price="99.50", side=Side.SELL, purpose=IntentPurpose.EXIT_SIGNAL), held
    ).approved
    sell = run(make_intent(price="99.49", side=Side.SELL, purpose=IntentPurpose.EXIT_SIGNAL), held)
    assert not sell.approved and sell.reason.startswith("slippage:")
    better = run(make_intent(price="99"))
    assert better.approved and check_of(better, "slippage").value == "-100 bps"


def test_slippage_uses_the_current_price_over_the_decision_price() -> None:
    moved = make_ctx(reference_prices={BTC: D(99)})  # intent decided at 100
    assert not run(make_intent(price="100"), moved).approved
    unknown = make_ctx(reference_prices={})  # falls back to the intent's reference
    assert run(make_intent(price="100.5"), unknown).approved
    no_price = replace(make_intent(), reference_price=D(0))
    assert "no reference price" in run(no_price, unknown).reason


def test_circuit_breaker_blocks_entries_only() -> None:
    ctx = make_ctx(breaker_tripped=frozenset({BTC}), positions={BTC: long("1")})
    entry = run(make_intent(), ctx)
    assert not entry.approved and entry.reason.startswith("circuit_breaker:")
    assert run(make_intent(symbol="ETHUSDT"), ctx).approved
    exit_ = run(make_intent(side=Side.SELL, price="99.9", purpose=IntentPurpose.STOP_LOSS), ctx)
    assert exit_.approved
    assert check_of(exit_, "circuit_breaker").reason.startswith("exit exempt:")


def test_spot_oversell_refused_for_exits_too() -> None:
    ctx = make_ctx(positions={BTC: long("1")})
    whole = make_intent(qty="1", price="99.9", side=Side.SELL, purpose=IntentPurpose.TAKE_PROFIT)
    assert run(whole, ctx).approved
    more = replace(whole, quantity=D("1.001"))
    refused = run(more, ctx)
    assert not refused.approved and refused.reason.startswith("spot_oversell:")
    assert (check_of(refused, "spot_oversell").value, check_of(refused, "spot_oversell").limit) == (
        "1.001",
        "1",
    )


def test_spot_oversell_counts_quantity_already_in_open_sells() -> None:
    working = make_order(
        "0.5", side=Side.SELL, filled_quantity=D("0.1"), purpose=IntentPurpose.STOP_LOSS
    )
    ctx = make_ctx(positions={BTC: long("1")}, open_orders=[working])
    sell = make_intent(qty="0.6", price="99.9", side=Side.SELL, purpose=IntentPurpose.MANUAL_CLOSE)
    assert run(sell, ctx).approved  # 1 - 0.4 left in the open sell = 0.6
    assert not run(replace(sell, quantity=D("0.601")), ctx).approved
    short_entry = make_intent(side=Side.SELL, price="99.9")
    assert not run(short_entry).approved  # nothing held: spot cannot short


def test_exit_exempt_from_every_entry_only_limit() -> None:
    manager = RiskManager(make_limits(max_orders_per_day=1))
    manager.record_sent(T0 - timedelta(hours=1))
    grim = make_ctx(
        market=MarketKind.FUTURES,
        leverage=20,
        equity=D(1000),
        positions={BTC: Position(BTC, D(-50), D(100)), "ETHUSDT": long("1", "ETHUSDT")},
        open_orders=[make_order("1", symbol="SOLUSDT")],
        breaker_tripped=frozenset({BTC}),
    )
    close = make_intent(qty="50", price="100.4", side=Side.BUY, purpose=IntentPurpose.FLATTEN)
    decision = manager.check(close, grim)
    assert decision.approved, decision.reason
    exempt = {c.name for c in decision.checks if c.reason.startswith("exit exempt:")}
    assert exempt == {
        "futures_leverage",
        "position_size",
        "open_positions",
        "daily_loss",
        "circuit_breaker",
        "orders_per_day",
    }
    entry = manager.check(replace(close, purpose=IntentPurpose.ENTRY), grim)
    assert not entry.approved and {c.name for c in entry.failed} == exempt


def test_all_failures_recorded_and_the_first_is_the_reason() -> None:
    decision = run(make_intent(price="100.51"), make_ctx(equity=D(9000)))
    assert [c.name for c in decision.failed] == ["slippage", "daily_loss"]
    assert decision.reason.startswith("slippage:")
    assert len(decision.checks) == len(ALL_CHECKS)


def test_non_finite_numbers_refused_cleanly() -> None:
    decision = run(replace(make_intent(), quantity=D("NaN")))
    assert not decision.approved and decision.reason.startswith("numbers:")
    assert not run(make_intent(price="Infinity")).approved


def test_naive_times_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RiskManager(make_limits()).record_sent(datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        make_ctx(now=datetime(2025, 1, 1))


def test_absurd_numbers_are_refused_not_crashed() -> None:
    decision = run(make_intent(qty="0.001", price="1E+40"))
    assert not decision.approved
    assert [c.name for c in decision.failed] == ["filters", "slippage", "position_size"]
    assert "numbers out of range" in check_of(decision, "filters").reason
