"""A position's own exit plan (an LLM decision's levels), in place of the percentages.

With a plan, the exit manager (risk/exits.py) closes the position at the plan's stop,
takes profit level by level (each a reduce-only close of its share of the position),
trails only once the activation price was reached, closes it when the hold duration is
over, and adds to it at the scale-in levels (each add a new entry through the risk gate).
Pure: prices and quantities in, levels out."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from tui_trader.domain.enums import OrderType
from tui_trader.numbers import bounded


@dataclass(frozen=True, slots=True)
class TakeLevel:
    price: Decimal
    ratio: Decimal  # share of the position's largest size closed here


@dataclass(frozen=True, slots=True)
class Trailing:
    activation: Decimal  # trailing starts once the price has reached it
    callback_pct: Decimal  # distance from the best price since, in percent


@dataclass(frozen=True, slots=True)
class AddLevel:
    price: Decimal
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ExitPlan:
    long: bool
    stop_loss: Decimal
    step: Decimal  # the symbol's quantity step: partial closes are whole steps
    take_profits: tuple[TakeLevel, ...] = ()  # in the order they are reached
    trailing: Trailing | None = None
    hold: timedelta | None = None  # None: MAX_HOLDING_MINUTES applies
    adds: tuple[AddLevel, ...] = ()
    add_type: OrderType = OrderType.LIMIT
    # How far the position got, journaled for a restart: its largest size (what the
    # take-profit ratios are of) and the scale-in levels already taken.
    size: Decimal = Decimal(0)
    adds_done: frozenset[int] = frozenset()

    def beyond(self, price: Decimal, level: Decimal) -> bool:
        """True when `price` is at or past `level` in the position's favour."""
        return price >= level if self.long else price <= level

    def take_profit(self, held: Decimal, peak: Decimal) -> tuple[Decimal, Decimal | None] | None:
        """The next take-profit: (its price, the quantity it closes, None for all that is
        held), or None when every level is done. A level is done once the position is
        down to its remainder: `peak` × (1 − the ratios up to it)."""
        closed = Decimal(0)
        for level in self.take_profits:
            closed += level.ratio
            remainder = peak * (1 - closed)
            close = _floor(held - remainder, self.step)
            if close > 0:
                return level.price, (None if remainder <= 0 or close >= held else close)
        return None

    def trailing_level(self, water: Decimal) -> Decimal | None:
        """The trailing stop once active: `callback_pct` back from the best price."""
        trailing = self.trailing
        if trailing is None or not self.beyond(water, trailing.activation):
            return None
        sign = 1 if self.long else -1
        return water * (1 - sign * trailing.callback_pct / 100)

    def add_due(self, price: Decimal, done: set[int]) -> int | None:
        """The first scale-in level `price` has come back to that is not done yet."""
        for index, add in enumerate(self.adds):
            if index not in done and self.beyond(add.price, price):
                return index
        return None


def _floor(quantity: Decimal, step: Decimal) -> Decimal:
    if quantity <= 0:
        return Decimal(0)
    return (quantity / step).to_integral_value(rounding=ROUND_FLOOR) * step


def plan_from_data(data: Mapping[str, Any]) -> ExitPlan:
    """An ExitPlan from its journaled form (`plan_data`). Raises ValueError, KeyError,
    TypeError or ArithmeticError when it is not one."""
    hold = data["hold_s"]
    trailing = data["trailing"]
    return ExitPlan(
        long=bool(data["long"]),
        stop_loss=_positive(data["stop_loss"]),
        step=_positive(data["step"]),
        take_profits=tuple(
            TakeLevel(_positive(t["price"]), _positive(t["ratio"])) for t in data["take_profits"]
        ),
        trailing=Trailing(_positive(trailing["activation"]), _positive(trailing["callback_pct"]))
        if trailing is not None
        else None,
        hold=timedelta(seconds=float(hold)) if hold is not None else None,
        adds=tuple(AddLevel(_positive(a["price"]), _positive(a["quantity"])) for a in data["adds"]),
        add_type=OrderType(data["add_type"]),
        size=bounded(Decimal(str(data["size"])), "plan size"),
        adds_done=frozenset(int(i) for i in data["adds_done"]),
    )


def plan_data(plan: ExitPlan) -> dict[str, Any]:
    """The plan as plain JSON data (numbers as exact strings), for the journal."""
    trailing = plan.trailing
    return {
        "long": plan.long,
        "stop_loss": str(plan.stop_loss),
        "step": str(plan.step),
        "take_profits": [{"price": str(t.price), "ratio": str(t.ratio)} for t in plan.take_profits],
        "trailing": {
            "activation": str(trailing.activation),
            "callback_pct": str(trailing.callback_pct),
        }
        if trailing is not None
        else None,
        "hold_s": plan.hold.total_seconds() if plan.hold is not None else None,
        "adds": [{"price": str(a.price), "quantity": str(a.quantity)} for a in plan.adds],
        "add_type": plan.add_type.value,
        "size": str(plan.size),
        "adds_done": sorted(plan.adds_done),
    }


def _positive(raw: Any) -> Decimal:
    value = bounded(Decimal(str(raw)), "plan number")
    if value <= 0:
        raise ValueError(f"plan number {value} is not positive")
    return value
