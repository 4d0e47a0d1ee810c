"""The core's reactions to order updates, fills and refusals: the one copy the live
trader, the backtester and the benchmark all call. Plain pytest, no event loop."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.clock import SimulatedClock
from tui_trader.config import Settings
from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.enums import IntentPurpose, OrderStatus, Side
from tui_trader.domain.market import Tick
from tui_trader.domain.orders import Fill, Order, OrderIntent
from tui_trader.execution.commands import order_from_intent
from tui_trader.execution.gate import OrderGate
from tui_trader.execution.idempotency import IdempotencyGuard, client_order_id
from tui_trader.runtime.core_parts import build_core

D = Decimal
SYMBOL = "BTCUSDT"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def make_core() -> TradingCore:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    core, _exchange, _risk = build_core(settings, (SYMBOL,), candles_only=False)
    return core


def fill(side: Side, price: str, ts: datetime, qty: str = "1", coid: str = "c1") -> Fill:
    return Fill(coid, SYMBOL, side, D(qty), D(price), D(0), "USDT", ts, f"t-{ts.timestamp()}")


def tick(core: TradingCore, price: str, seconds: int) -> list[OrderIntent]:
    p = D(price)
    commands = core.on_tick(Tick(SYMBOL, T0 + timedelta(seconds=seconds), p, p, p))
    return [c for c in commands if isinstance(c, OrderIntent)]


def long_with_stop_triggered(core: TradingCore) -> OrderIntent:
    """A long of 1 at 100, then a tick under the 2% stop: the core emits an exit."""
    core.on_fill(fill(Side.BUY, "100", T0))
    assert tick(core, "100", 1) == []
    [intent] = tick(core, "97", 2)
    assert intent.purpose is IntentPurpose.STOP_LOSS and intent.side is Side.SELL
    assert tick(core, "96.9", 3) == []  # one exit at a time
    return intent


def as_order(intent: OrderIntent, status: OrderStatus, seconds: int) -> Order:
    order = order_from_intent(intent, f"coid-{intent.intent_id}", SimulatedClock(T0))
    return order.evolve(status=status, updated_at=T0 + timedelta(seconds=seconds))


def test_a_refused_exit_frees_the_symbol_and_is_rearmed() -> None:
    core = make_core()
    first = long_with_stop_triggered(core)
    core.on_refused(first)
    [again] = tick(core, "96.8", 4)
    assert again.intent_id == f"{first.intent_id}-r1"  # a new intent, not a duplicate


def test_a_refused_entry_frees_the_symbol_only() -> None:
    core = make_core()
    exit_intent = long_with_stop_triggered(core)
    kind = exit_intent.order_type
    entry = OrderIntent(
        "entry-x", SYMBOL, Side.BUY, kind, D(1), None, IntentPurpose.ENTRY, T0, D(1)
    )
    core.on_refused(entry)  # the symbol is freed, but the exit stays in flight
    assert core.parts.exits.in_flight(SYMBOL)
    assert tick(core, "96.8", 4) == []


def test_a_rejected_exit_is_reported_once_and_rearmed() -> None:
    core = make_core()
    intent = long_with_stop_triggered(core)
    rejected = as_order(intent, OrderStatus.REJECTED, 5)
    reaction = core.on_order_outcome(rejected)
    assert reaction.applied and reaction.rejected and reaction.exit_finished
    assert tick(core, "96.8", 6)  # the stop is tried again
    late = core.on_order_update(rejected)
    assert not late.applied and not late.rejected and not late.exit_finished


def test_a_late_update_after_a_final_state_changes_nothing() -> None:
    core = make_core()
    intent = long_with_stop_triggered(core)
    assert core.on_order_outcome(as_order(intent, OrderStatus.NEW, 2)).applied
    assert core.parts.orders.open_for(SYMBOL)
    canceled = core.on_order_update(as_order(intent, OrderStatus.CANCELED, 4))
    assert canceled.applied and canceled.exit_finished and not canceled.rejected
    stale = core.on_order_update(as_order(intent, OrderStatus.NEW, 3))
    assert not stale.applied
    assert core.parts.orders.open_for(SYMBOL) == []


def test_a_filled_exit_closes_the_position_and_forgets_its_levels() -> None:
    core = make_core()
    intent = long_with_stop_triggered(core)
    assert core.parts.exits.levels(SYMBOL).stop_loss is not None
    core.on_order_outcome(as_order(intent, OrderStatus.NEW, 3))
    closed = core.on_fill(fill(Side.SELL, "97", T0 + timedelta(seconds=4), coid="c2"))
    assert not closed.position.is_open
    assert core.parts.exits.levels(SYMBOL).stop_loss is None
    done = core.on_order_update(as_order(intent, OrderStatus.FILLED, 4))
    assert done.applied and done.exit_finished and not core.parts.exits.in_flight(SYMBOL)
    assert tick(core, "90", 5) == []  # flat: no exit


def test_a_partly_filled_exit_that_ends_leaves_the_rest_protected() -> None:
    core = make_core()
    intent = long_with_stop_triggered(core)
    core.on_order_outcome(as_order(intent, OrderStatus.NEW, 3))
    core.on_fill(fill(Side.SELL, "97", T0 + timedelta(seconds=4), qty="0.4", coid="c2"))
    core.on_order_update(as_order(intent, OrderStatus.CANCELED, 5))
    [again] = tick(core, "96", 6)
    assert again.quantity == D("0.6")


def test_fills_and_candles_sample_the_start_of_day_equity() -> None:
    core = make_core()
    assert core.on_fill(fill(Side.BUY, "100", T0)).new_day
    assert core.account.day_start == D(10000)
    core.parts.portfolio.mark(SYMBOL, D(90))
    assert not core.on_fill(fill(Side.BUY, "90", T0 + timedelta(hours=1), coid="c2")).new_day
    assert core.account.day_start == D(10000) and core.account.peak == D(10000)
    assert core.risk_context(T0, 1).day_start_equity == D(10000)
    assert core.track_account(T0 + timedelta(days=1))
    assert core.account.day_start == D(9990)  # 2 BTC at 90 plus the 9810 cash left
    assert core.risk_context(T0, 1).day_start_equity == D(9990)


def test_an_adopted_portfolio_starts_its_own_day() -> None:
    core = make_core()
    core.track_account(T0)
    other = make_core().parts.portfolio
    other.apply_fill(fill(Side.BUY, "100", T0))
    other.mark(SYMBOL, D(50))
    core.adopt_portfolio(other)
    assert core.account.day is None and core.account.peak == 0
    assert core.track_account(T0)
    assert core.account.day_start == D(9950)


def test_the_gate_refuses_a_client_id_an_earlier_run_journaled() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    core, _exchange, risk = build_core(settings, (SYMBOL,), candles_only=False)
    gate = OrderGate(risk, IdempotencyGuard(), core.state)
    intent = long_with_stop_triggered(core)
    gate.remember_journaled([client_order_id(intent.intent_id)])
    decision = gate.check(intent, core.risk_context(T0, 1))
    assert (decision.approved, decision.stage) == (False, "idempotency")
    core.on_refused(intent)
    [again] = tick(core, "96.8", 4)  # re-armed under a new intent id: a new client id
    assert gate.check(again, core.risk_context(T0, 1)).stage != "idempotency"
