"""A position's own exit plan (an LLM decision's levels) in the exit manager: each field
changes what exits, when, and by how much; the guards the exchange holds follow it."""

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.unit.test_exits import BTC, RULES, T0, make_limits, tick
from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.guards import GuardKind
from tui_trader.domain.portfolio import Position
from tui_trader.risk.exit_plan import (
    AddLevel,
    ExitPlan,
    TakeLevel,
    Trailing,
    plan_data,
    plan_from_data,
)
from tui_trader.risk.exits import ExitManager
from tui_trader.risk.guard_plan import guard_targets

D = Decimal
PLAN = ExitPlan(long=True, stop_loss=D(95), step=D("0.001"))


def armed(plan: ExitPlan) -> ExitManager:
    """Percentages that would fire long before the plan's levels (1% stop, 1% take)."""
    exits = ExitManager(make_limits(stop_loss_pct=D(1), take_profit_pct=D(1)))
    exits.set_plan(BTC, plan)
    return exits


def long(quantity: str) -> Position:
    return Position(BTC, D(quantity), D(100), opened_at=T0)


def test_the_plan_replaces_the_percentages() -> None:
    exits = armed(PLAN)
    assert exits.on_tick(tick("98"), long("1"), RULES) is None  # 2% down: the 1% is not it
    assert exits.on_tick(tick("110", 2), long("1"), RULES) is None  # no take-profit planned
    stop = exits.on_tick(tick("95", 3), long("1"), RULES)
    assert stop is not None and stop.purpose is IntentPurpose.STOP_LOSS


def test_partial_take_profits_close_their_share_at_their_level() -> None:
    plan = replace(PLAN, take_profits=(TakeLevel(D(105), D("0.5")), TakeLevel(D(110), D("0.3"))))
    exits = armed(plan)
    assert exits.on_tick(tick("104.99"), long("1.001"), RULES) is None
    first = exits.on_tick(tick("105", 2), long("1.001"), RULES)
    assert first is not None and first.purpose is IntentPurpose.TAKE_PROFIT
    assert (first.side, first.quantity, first.reduce_only) == (Side.SELL, D("0.5"), True)
    exits.exit_finished(BTC, filled=False)  # the position is still open: re-armed
    # Half closed (0.501 left): the first level is done, the second waits for 110.
    assert exits.on_tick(tick("108", 3), long("0.501"), RULES) is None
    second = exits.on_tick(tick("110", 4), long("0.501"), RULES)
    assert second is not None and second.quantity == D("0.3")  # 30% of the 1.001 it was
    assert second.intent_id != first.intent_id
    exits.exit_finished(BTC, filled=False)
    # 20% left: no more take-profits; it follows the stop.
    assert exits.on_tick(tick("120", 5), long("0.201"), RULES) is None
    assert exits.levels(BTC).take_profit is None and exits.levels(BTC).stop_loss == D(95)


def test_a_take_profit_that_closes_the_rest_closes_all_that_is_held() -> None:
    exits = armed(replace(PLAN, take_profits=(TakeLevel(D(105), D(1)),)))
    close = exits.on_tick(tick("106"), long("0.7"), RULES)
    assert close is not None and close.quantity == D("0.7")
    assert exits.levels_for(long("0.7")).take_profit_part is None


def test_the_trailing_stop_starts_only_at_its_activation_price() -> None:
    exits = armed(replace(PLAN, trailing=Trailing(activation=D(110), callback_pct=D(2))))
    assert exits.on_tick(tick("109"), long("1"), RULES) is None
    assert exits.levels(BTC).trailing_stop is None  # 109 is 2% over 106.82: not trailing yet
    assert exits.on_tick(tick("106", 2), long("1"), RULES) is None
    assert exits.on_tick(tick("112", 3), long("1"), RULES) is None
    assert exits.levels(BTC).trailing_stop == D("109.76")  # 2% under the best since, 112
    trail = exits.on_tick(tick("109.76", 4), long("1"), RULES)
    assert trail is not None and trail.purpose is IntentPurpose.TRAILING_STOP


def test_the_hold_duration_closes_the_position_when_it_is_over() -> None:
    exits = armed(replace(PLAN, hold=timedelta(minutes=30)))
    assert exits.on_tick(tick("100", 30 * 60 - 1), long("1"), RULES) is None
    timed = exits.on_tick(tick("100", 30 * 60), long("1"), RULES)
    assert timed is not None and timed.purpose is IntentPurpose.MAX_HOLDING
    assert timed.quantity == D(1)


def test_scale_in_adds_once_per_level_as_a_new_entry() -> None:
    adds = (AddLevel(D(98), D("0.2")), AddLevel(D(97), D("0.3")))
    exits = armed(replace(PLAN, adds=adds))
    assert exits.on_tick(tick("98.5", bid="98.4", ask="98.6"), long("1"), RULES) is None
    add = exits.on_tick(tick("97.9", 2, bid="97.8", ask="98"), long("1"), RULES)
    assert add is not None
    assert (add.purpose, add.side, add.quantity, add.reduce_only) == (
        IntentPurpose.ENTRY,
        Side.BUY,
        D("0.2"),
        False,
    )
    assert (add.order_type, add.price) == (OrderType.LIMIT, D(98))
    assert exits.on_tick(tick("97.9", 3), long("1.2"), RULES) is None  # once
    second = exits.on_tick(tick("96", 4), long("1.2"), RULES)
    assert second is not None and second.quantity == D("0.3") and second.price == D(96)


def test_no_add_once_a_take_profit_has_closed_part_of_the_position() -> None:
    plan = replace(
        PLAN, take_profits=(TakeLevel(D(105), D("0.5")),), adds=(AddLevel(D(98), D("0.2")),)
    )
    exits = armed(plan)
    assert exits.on_tick(tick("105"), long("1"), RULES) is not None
    exits.exit_finished(BTC, filled=False)
    assert exits.on_tick(tick("97", 2), long("0.5"), RULES) is None


def test_a_plan_for_the_other_side_is_not_applied() -> None:
    exits = armed(replace(PLAN, long=False, stop_loss=D(105)))
    stop = exits.on_tick(tick("99"), long("1"), RULES)  # the 1% of the percentages
    assert stop is not None and stop.purpose is IntentPurpose.STOP_LOSS


def test_the_exchange_holds_the_plans_stop_and_only_a_whole_position_take_profit() -> None:
    partial = armed(replace(PLAN, take_profits=(TakeLevel(D(105), D("0.5")),)))
    position = long("1")
    targets = guard_targets([position], {BTC: partial.levels_for(position)}, {BTC: RULES})
    assert [(t.kind, t.trigger) for t in targets] == [(GuardKind.STOP, D(95))]
    whole = armed(replace(PLAN, take_profits=(TakeLevel(D(105), D(1)),)))
    targets = guard_targets([position], {BTC: whole.levels_for(position)}, {BTC: RULES})
    assert [(t.kind, t.trigger, t.quantity) for t in targets] == [
        (GuardKind.STOP, D(95), D(1)),
        (GuardKind.TAKE_PROFIT, D(105), D(1)),
    ]


def test_a_plan_survives_its_journaled_form_and_garbage_is_refused() -> None:
    plan = replace(
        PLAN,
        take_profits=(TakeLevel(D("105.5"), D("0.5")),),
        trailing=Trailing(D(110), D("1.5")),
        hold=timedelta(minutes=90),
        adds=(AddLevel(D(98), D("0.25")),),
        add_type=OrderType.MARKET,
        size=D("1.25"),
        adds_done=frozenset({0}),
    )
    assert plan_from_data(json.loads(json.dumps(plan_data(plan)))) == plan
    for broken in (
        {**plan_data(plan), "stop_loss": "-1"},
        {**plan_data(plan), "step": "1e999999"},
        {**plan_data(plan), "add_type": "STOP"},
        {"long": True},
    ):
        with pytest.raises((ValueError, KeyError, ArithmeticError)):
            plan_from_data(broken)


def test_the_progress_to_journal_is_the_largest_size_and_the_adds_taken() -> None:
    exits = armed(replace(PLAN, adds=(AddLevel(D(98), D("0.2")),)))
    assert exits.on_tick(tick("97"), long("1"), RULES) is not None  # the add
    assert exits.on_tick(tick("97", 2), long("1.2"), RULES) is None
    progress = exits.progress(long("0.6"))
    assert progress is not None and (progress.size, progress.adds_done) == (D("1.2"), {0})
    restarted = armed(progress)  # a new trader with the journaled plan: as far as it got
    assert restarted.on_tick(tick("97", 3), long("1.2"), RULES) is None
