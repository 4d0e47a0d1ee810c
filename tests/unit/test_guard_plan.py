"""What the exchange-side guards of open positions should be, and the requests that get
the venue there: a stop at the tighter of stop-loss and trailing stop, never loosened,
moved by placing before cancelling, only when the move is worth it."""

from decimal import Decimal

from tui_trader.domain.enums import Side
from tui_trader.domain.guards import (
    GUARD_PREFIX,
    GuardKind,
    GuardOrder,
    GuardStatus,
    guard_client_id,
    is_guard_id,
)
from tui_trader.domain.portfolio import Position
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.idempotency import CLIENT_ID_PREFIX
from tui_trader.risk.exits import ExitLevels
from tui_trader.risk.guard_plan import GuardTarget, guard_targets, plan_guards

RULES = {"BTCUSDT": SymbolRules("BTCUSDT", tick_size=Decimal("0.1"), step_size=Decimal("0.001"))}
SYMBOLS = ("BTCUSDT",)
BPS = Decimal(10)


def long(qty: str = "0.01") -> Position:
    return Position("BTCUSDT", Decimal(qty), Decimal(50000))


def levels(stop: str | None, take: str | None = None, trail: str | None = None) -> ExitLevels:
    def d(value: str | None) -> Decimal | None:
        return Decimal(value) if value is not None else None

    return ExitLevels(d(stop), d(take), d(trail))


def held(
    kind: GuardKind, trigger: str, qty: str = "0.01", side: Side = Side.SELL, cid: str = "a"
) -> GuardOrder:
    return GuardOrder(GUARD_PREFIX + cid, "BTCUSDT", kind, side, Decimal(qty), Decimal(trigger))


def stop_target(trigger: str, qty: str = "0.01") -> GuardTarget:
    return GuardTarget("BTCUSDT", GuardKind.STOP, Side.SELL, Decimal(qty), Decimal(trigger))


def test_a_long_gets_a_stop_at_the_tighter_level_and_a_take_profit_rounded_toward_safety() -> None:
    targets = guard_targets(
        [long()], {"BTCUSDT": levels("49000.04", take="52000.06", trail="49500.01")}, RULES
    )
    assert targets == [
        GuardTarget("BTCUSDT", GuardKind.STOP, Side.SELL, Decimal("0.01"), Decimal("49500.1")),
        GuardTarget("BTCUSDT", GuardKind.TAKE_PROFIT, Side.SELL, Decimal("0.01"), Decimal("52000")),
    ]


def test_a_short_is_guarded_by_buys_with_the_lower_stop() -> None:
    short = Position("BTCUSDT", Decimal("-0.02"), Decimal(50000))
    [stop] = guard_targets([short], {"BTCUSDT": levels("51000", trail="50600.05")}, RULES)
    assert (stop.side, stop.quantity, stop.trigger) == (Side.BUY, Decimal("0.02"), Decimal(50600))


def test_flat_positions_dust_and_disabled_levels_get_no_guard() -> None:
    none = {"BTCUSDT": levels(None)}
    assert guard_targets([long()], none, RULES) == []
    assert guard_targets([long("0")], {"BTCUSDT": levels("49000")}, RULES) == []
    assert guard_targets([long("0.0004")], {"BTCUSDT": levels("49000")}, RULES) == []
    assert guard_targets([long()], {"BTCUSDT": levels("49000")}, {}) == []  # no filters yet


def test_an_unguarded_position_is_guarded_and_a_matching_guard_is_kept() -> None:
    plan = plan_guards([stop_target("49000")], [], BPS, SYMBOLS)
    assert plan.place == (stop_target("49000"),) and plan.cancel == ()
    assert plan_guards([stop_target("49000")], [held(GuardKind.STOP, "49000")], BPS, SYMBOLS).empty


def test_a_moved_stop_is_placed_before_the_old_one_is_cancelled() -> None:
    old = held(GuardKind.STOP, "49000")
    plan = plan_guards([stop_target("50490")], [old], BPS, SYMBOLS)
    assert plan.place == (stop_target("50490"),)
    assert plan.cancel == (old,)


def test_a_move_under_the_threshold_is_not_worth_two_requests() -> None:
    # 50490 → 50520 is 5.9 bps: kept; 50490 → 50600 is 21.7 bps: moved.
    old = held(GuardKind.STOP, "50490")
    assert plan_guards([stop_target("50520")], [old], BPS, SYMBOLS).empty
    assert plan_guards([stop_target("50600")], [old], BPS, SYMBOLS).place == (stop_target("50600"),)


def test_a_stop_is_never_loosened_even_when_the_trailing_mark_was_lost() -> None:
    tight = held(GuardKind.STOP, "50490")
    assert plan_guards([stop_target("49000")], [tight], BPS, SYMBOLS).empty
    short_guard = held(GuardKind.STOP, "49510", side=Side.BUY)
    short_target = GuardTarget("BTCUSDT", GuardKind.STOP, Side.BUY, Decimal("0.01"), Decimal(51000))
    assert plan_guards([short_target], [short_guard], BPS, SYMBOLS).empty


def test_a_take_profit_follows_its_target_both_ways() -> None:
    take = GuardTarget("BTCUSDT", GuardKind.TAKE_PROFIT, Side.SELL, Decimal("0.01"), Decimal(51000))
    plan = plan_guards([take], [held(GuardKind.TAKE_PROFIT, "52000")], BPS, SYMBOLS)
    assert plan.place == (take,)


def test_a_changed_quantity_always_replaces_the_guard_at_the_held_floor() -> None:
    old = held(GuardKind.STOP, "50490", qty="0.01")
    plan = plan_guards([stop_target("49000", qty="0.02")], [old], BPS, SYMBOLS)
    assert plan.place == (stop_target("50490", qty="0.02"),)
    assert plan.cancel == (old,)


def test_guards_of_a_closed_position_go_and_guards_on_the_wrong_side_go() -> None:
    stop, take = held(GuardKind.STOP, "49000", cid="s"), held(GuardKind.TAKE_PROFIT, "52000")
    assert set(plan_guards([], [stop, take], BPS, SYMBOLS).cancel) == {stop, take}
    wrong = held(GuardKind.STOP, "51000", side=Side.BUY, cid="w")  # left from a short
    plan = plan_guards([stop_target("49000")], [wrong], BPS, SYMBOLS)
    assert plan.place == (stop_target("49000"),) and plan.cancel == (wrong,)


def test_duplicates_are_cancelled_and_a_firing_guard_is_left_alone() -> None:
    first, second = held(GuardKind.STOP, "49000", cid="1"), held(GuardKind.STOP, "49000", cid="2")
    plan = plan_guards([stop_target("49000")], [first, second], BPS, SYMBOLS)
    assert plan.place == () and len(plan.cancel) == 1
    firing = GuardOrder(
        GUARD_PREFIX + "f", "BTCUSDT", GuardKind.STOP, Side.SELL, Decimal("0.01"),
        Decimal(49000), GuardStatus.TRIGGERED,
    )  # fmt: skip
    assert plan_guards([], [firing], BPS, SYMBOLS).empty


def test_finished_guards_and_other_symbols_are_not_managed() -> None:
    done = GuardOrder(
        GUARD_PREFIX + "d", "BTCUSDT", GuardKind.STOP, Side.SELL, Decimal("0.01"),
        Decimal(49000), GuardStatus.CANCELED,
    )  # fmt: skip
    other = GuardOrder(
        GUARD_PREFIX + "e", "ETHUSDT", GuardKind.STOP, Side.SELL, Decimal(1), Decimal(3000)
    )
    assert plan_guards([], [done, other], BPS, SYMBOLS).empty


def test_guard_ids_are_ours_distinct_from_order_ids_and_fit_binance() -> None:
    cid = guard_client_id("BTCUSDT", GuardKind.STOP, Decimal(49000), 1)
    assert is_guard_id(cid) and cid.startswith(CLIENT_ID_PREFIX) and len(cid) <= 36
    assert cid != guard_client_id("BTCUSDT", GuardKind.STOP, Decimal(49000), 2)
    assert not is_guard_id(CLIENT_ID_PREFIX + "0123456789abcdef01234567")
