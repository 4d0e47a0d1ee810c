"""Which exchange-side guards each open position should have, and what to send to get
there from what the venue holds. Pure: the runtime's GuardKeeper does the I/O.

The rules a trader relies on:
- one stop per open position, at the tighter of its stop-loss and trailing stop, and one
  take-profit where configured; quantity = the whole position (a partial take-profit of
  a position's plan is left to the trader's own exits);
- a stop is never loosened: a restarted trader has lost its trailing high-water mark, so
  a stop the venue already holds higher (long) / lower (short) is kept as the floor;
- moving a guard places the new one before cancelling the old: never a moment without
  one (both are reduce-only, so the second to fire finds nothing to reduce);
- a small move (under `move_bps`) is not worth two requests; a quantity change always is;
- a guard that has fired is left alone until it finishes."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from tui_trader.domain.enums import Side
from tui_trader.domain.guards import SEPARATE_GUARDS, GuardKind, GuardOrder, GuardStatus
from tui_trader.domain.portfolio import Position
from tui_trader.domain.rules import SymbolRules
from tui_trader.risk.exits import ExitLevels

Key = tuple[str, GuardKind]


@dataclass(frozen=True, slots=True)
class GuardTarget:
    symbol: str
    kind: GuardKind
    side: Side
    quantity: Decimal
    trigger: Decimal
    take_profit: Decimal | None = None  # BRACKET only

    @property
    def key(self) -> Key:
        return self.symbol, self.kind


@dataclass(frozen=True, slots=True)
class GuardPlan:
    place: tuple[GuardTarget, ...] = ()
    cancel: tuple[GuardOrder, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.place and not self.cancel


def guard_targets(
    positions: Iterable[Position],
    levels: Mapping[str, ExitLevels],
    rules: Mapping[str, SymbolRules],
    *,
    kinds: Callable[[str], frozenset[GuardKind]] = lambda _symbol: SEPARATE_GUARDS,
) -> list[GuardTarget]:
    """The guards the open `positions` should have, triggers rounded to the tick toward
    protection (a stop a tick tighter, a take-profit a tick earlier), of the `kinds` the
    venue can hold for each symbol: where it holds BRACKETs (spot OCO), a stop and a
    take-profit become one; a kind it cannot hold is left to the trader's own exits."""
    targets = [t for position in positions for t in _position_targets(position, levels, rules)]
    return [t for symbol_targets in _by_symbol(targets) for t in _fit(symbol_targets, kinds)]


def _by_symbol(targets: list[GuardTarget]) -> list[list[GuardTarget]]:
    grouped: dict[str, list[GuardTarget]] = {}
    for target in targets:
        grouped.setdefault(target.symbol, []).append(target)
    return list(grouped.values())


def _fit(
    targets: list[GuardTarget], kinds: Callable[[str], frozenset[GuardKind]]
) -> list[GuardTarget]:
    """One symbol's targets as the venue can hold them."""
    allowed = kinds(targets[0].symbol)
    by_kind = {t.kind: t for t in targets}
    stop, take = by_kind.get(GuardKind.STOP), by_kind.get(GuardKind.TAKE_PROFIT)
    if GuardKind.BRACKET in allowed and stop is not None and take is not None:
        bracket = GuardTarget(
            stop.symbol, GuardKind.BRACKET, stop.side, stop.quantity, stop.trigger, take.trigger
        )
        return [bracket]
    return [t for t in targets if t.kind in allowed]


def _position_targets(
    position: Position, levels: Mapping[str, ExitLevels], rules: Mapping[str, SymbolRules]
) -> list[GuardTarget]:
    targets: list[GuardTarget] = []
    symbol_rules = rules.get(position.symbol)
    level = levels.get(position.symbol)
    if not position.is_open or symbol_rules is None or level is None:
        return targets
    quantity = symbol_rules.round_qty(abs(position.quantity))
    if quantity <= 0:
        return targets  # dust: nothing the venue would accept
    long = position.quantity > 0
    side = Side.SELL if long else Side.BUY
    stops = [p for p in (level.stop_loss, level.trailing_stop) if p is not None]
    if stops:
        stop = max(stops) if long else min(stops)
        trigger = symbol_rules.round_price(stop, side)
        targets.append(GuardTarget(position.symbol, GuardKind.STOP, side, quantity, trigger))
    # A partial take-profit stays the trader's: the exchange's copy would close its share
    # a second time when both fire (only a whole-position close is safe to double).
    if level.take_profit is not None and level.take_profit_part is None:
        trigger = symbol_rules.round_price(level.take_profit, side.opposite)
        targets.append(GuardTarget(position.symbol, GuardKind.TAKE_PROFIT, side, quantity, trigger))
    return targets


def plan_guards(
    targets: Iterable[GuardTarget],
    held: Iterable[GuardOrder],
    move_bps: Decimal,
    symbols: Iterable[str],
) -> GuardPlan:
    """From the guards `held` on the venue to `targets`, for the traded `symbols` only
    (another symbol's guards are not ours to manage)."""
    wanted = {t.key: t for t in targets}
    by_key: dict[Key, list[GuardOrder]] = {}
    for guard in held:
        if guard.status.working and guard.symbol in set(symbols):
            by_key.setdefault((guard.symbol, guard.kind), []).append(guard)
    place: list[GuardTarget] = []
    cancel: list[GuardOrder] = []
    for key in set(wanted) | set(by_key):
        guards = by_key.get(key, [])
        if any(g.status is GuardStatus.TRIGGERED for g in guards):
            continue  # firing: the position is being closed
        target = wanted.get(key)
        if target is None:
            cancel.extend(guards)
            continue
        new, stale = _reconcile_one(target, guards, move_bps)
        if new is not None:
            place.append(new)
        cancel.extend(stale)
    order = sorted(place, key=lambda t: (t.symbol, t.kind))
    return GuardPlan(tuple(order), tuple(sorted(cancel, key=lambda g: g.client_id)))


def _reconcile_one(
    target: GuardTarget, guards: list[GuardOrder], move_bps: Decimal
) -> tuple[GuardTarget | None, list[GuardOrder]]:
    """(the guard to place or None, the guards to cancel) for one symbol and kind."""
    same_side = [g for g in guards if g.side is target.side]
    wrong_side = [g for g in guards if g.side is not target.side]
    trigger = target.trigger
    if target.kind.stops and same_side:
        held = [g.trigger for g in same_side]
        trigger = max([trigger, *held]) if target.side is Side.SELL else min([trigger, *held])
    for guard in same_side:
        same_take = guard.take_profit == target.take_profit
        if (
            guard.quantity == target.quantity
            and same_take
            and _close(guard.trigger, trigger, move_bps)
        ):
            return None, wrong_side + [g for g in same_side if g is not guard]
    new = GuardTarget(
        target.symbol, target.kind, target.side, target.quantity, trigger, target.take_profit
    )
    return new, wrong_side + same_side


def _close(held: Decimal, wanted: Decimal, move_bps: Decimal) -> bool:
    return abs(held - wanted) * 10000 <= wanted * move_bps
