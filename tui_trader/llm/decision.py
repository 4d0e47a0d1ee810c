"""Decide mode: a decision becomes an entry proposal with its exit plan, or is refused
with the reason. Pure: the trader routes the proposal through the whole order gate.

Every field of the decision is either honoured here (turned into the intent or its
plan: risk/exit_plan.py) or the decision is refused with a reason naming it; the
structure was validated already (llm/schemas.py)."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from tui_trader.domain.enums import IntentPurpose, MarketKind, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.domain.rules import SymbolRules
from tui_trader.llm.advice import Advice
from tui_trader.llm.schemas import DecisionOrder
from tui_trader.numbers import NumberError, bounded, clip
from tui_trader.risk.exit_plan import AddLevel, ExitPlan, TakeLevel, Trailing
from tui_trader.text_safety import printable


class DecisionRefused(ValueError):
    """The decision cannot be taken as given; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Constraints:
    """What the account allows: the same numbers the prompt shows the model."""

    market: MarketKind
    equity: Decimal
    max_leverage: int
    max_position_pct: Decimal
    max_holding_minutes: int  # 0: no limit
    rules: SymbolRules
    exchange_stops: bool = False  # the venue holds the stop (futures guards) or not
    min_confidence: float = 0.0  # LLM_GATE_THRESHOLD: a less confident decision waits


def decision_to_intent(
    advice: Advice, reference_price: Decimal, limits: Constraints
) -> OrderIntent | None:
    """The entry a long/short decision asks for, its exit plan in `meta["plan"]`; None
    for flat. Raises DecisionRefused."""
    decision = advice.decision
    if decision is None:
        raise DecisionRefused(advice.error or "no decision")
    if decision.order is None:
        return None
    if decision.confidence < limits.min_confidence:
        raise DecisionRefused(
            f"confidence {decision.confidence:.2f} is under LLM_GATE_THRESHOLD "
            f"{limits.min_confidence:.2f}"
        )
    order, long = decision.order, decision.decision == "long"
    entry = order.entry_price if order.entry_price is not None else reference_price
    if entry <= 0:
        raise DecisionRefused(f"no market price for {advice.symbol}")
    try:
        return _intent(advice, order, long, bounded(entry, "entry"), reference_price, limits)
    except NumberError as exc:
        raise DecisionRefused(str(exc)) from None
    except ArithmeticError:  # absurd magnitudes from the model (1e-999999)
        raise DecisionRefused("numbers out of range") from None


def _intent(
    advice: Advice,
    order: DecisionOrder,
    long: bool,
    entry: Decimal,
    reference: Decimal,
    limits: Constraints,
) -> OrderIntent:
    if not long and limits.market is MarketKind.SPOT:
        raise DecisionRefused("a short on spot: spot cannot sell what it does not hold")
    _check_leverage(order.leverage, limits)
    _check_levels(order, long, entry)
    _check_liquidation(order.stop_loss, entry, limits)
    hold = _hold(order.hold_duration_min, limits.max_holding_minutes)
    side = Side.BUY if long else Side.SELL
    rules = limits.rules
    quantity = _quantity(order.size_pct_equity, order.leverage, entry, limits, "size_pct_equity")
    adds = tuple(
        AddLevel(add.price, _quantity(add.size_pct_equity, order.leverage, add.price, limits,
                                      f"scale_in {n}"))
        for n, add in enumerate(order.scale_in, 1)
    )  # fmt: skip
    _check_total(order, limits)
    takes = tuple(TakeLevel(tp.price, tp.close_ratio) for tp in order.take_profits)
    _check_partials(takes, quantity, limits)
    trailing = order.trailing_stop
    plan = ExitPlan(
        long=long,
        stop_loss=order.stop_loss,
        step=rules.step_size,
        take_profits=takes,
        trailing=Trailing(trailing.activation_price, trailing.callback_rate_pct)
        if trailing is not None
        else None,
        hold=hold,
        adds=adds,
        add_type=OrderType.MARKET if order.order_type == "market" else OrderType.LIMIT,
    )
    decision = advice.decision
    assert decision is not None
    market = order.order_type == "market"
    notes = printable(decision.notes, 200).strip()
    where = "exchange-side stop" if limits.exchange_stops else "stop kept by the trader"
    return OrderIntent(
        # One id per decision: the same advice proposed twice maps to one client order id.
        intent_id=f"llm-{advice.symbol}-{advice.at:%Y%m%dT%H%M%S}",
        symbol=advice.symbol,
        side=side,
        order_type=OrderType.MARKET if market else OrderType.LIMIT,
        quantity=quantity,
        price=None if market else rules.round_price(entry, side),
        purpose=IntentPurpose.ENTRY,
        created_at=advice.at,
        reference_price=reference,
        reason=f"llm {decision.decision} ({where}): {printable(decision.rationale, 200)}",
        strategy="llm",
        meta={
            "plan": plan,
            "size_pct_equity": order.size_pct_equity,
            "leverage": order.leverage,
            "confidence": decision.confidence,
            "notes": notes,
        },
    )


def _check_leverage(leverage: int, limits: Constraints) -> None:
    if limits.market is MarketKind.SPOT and leverage != 1:
        raise DecisionRefused(f"leverage {leverage}x on spot: spot trades at 1x only")
    if leverage > limits.max_leverage:
        raise DecisionRefused(
            f"leverage {leverage}x is above the account's maximum {limits.max_leverage}x "
            "(MAX_LEVERAGE)"
        )


# Binance's lowest maintenance margin rate (the first tier of BTCUSDT): a position
# margined at L x is liquidated about 1/L - this away from its entry, never farther.
MAINTENANCE_RATE = Decimal("0.004")


def _check_liquidation(stop: Decimal, entry: Decimal, limits: Constraints) -> None:
    """On futures the exchange margins every position at MAX_LEVERAGE (isolated, set at
    start), whatever leverage the decision sized it with: a stop at or past where that
    margin runs out would never be reached before the liquidation."""
    if limits.market is not MarketKind.FUTURES:
        return
    reach = Decimal(1) / limits.max_leverage - MAINTENANCE_RATE
    if abs(entry - stop) / entry >= reach:
        raise DecisionRefused(
            f"stop_loss {_plain(stop)} is {abs(entry - stop) / entry:.2%} from the entry "
            f"{_plain(entry)}: past the liquidation of a position margined at MAX_LEVERAGE "
            f"{limits.max_leverage}x (about {reach:.2%} away)"
        )


def _check_levels(order: DecisionOrder, long: bool, entry: Decimal) -> None:
    """Every level on its side of the entry: a stop above a long's entry would be an
    instant exit, a take-profit below it a loss."""
    kind = "long" if long else "short"
    sign = 1 if long else -1
    if sign * (entry - order.stop_loss) <= 0:
        raise DecisionRefused(
            f"stop_loss {_plain(order.stop_loss)} is on the wrong side of the entry "
            f"{_plain(entry)} for a {kind}"
        )
    last = entry
    for n, tp in enumerate(order.take_profits, 1):
        if sign * (tp.price - last) <= 0:
            raise DecisionRefused(
                f"take_profits {n} at {_plain(tp.price)} is not beyond "
                f"{'the entry' if n == 1 else 'the one before'} ({_plain(last)}) for a {kind}"
            )
        last = tp.price
    trailing = order.trailing_stop
    if trailing is not None and sign * (trailing.activation_price - entry) <= 0:
        raise DecisionRefused(
            f"trailing_stop activation_price {_plain(trailing.activation_price)} is not "
            f"beyond the entry {_plain(entry)} for a {kind}"
        )
    for n, add in enumerate(order.scale_in, 1):
        between = sign * (entry - add.price) > 0 and sign * (add.price - order.stop_loss) > 0
        if not between:
            raise DecisionRefused(
                f"scale_in {n} at {_plain(add.price)} is not between the entry "
                f"{_plain(entry)} and the stop_loss {_plain(order.stop_loss)}"
            )


def _hold(minutes: int | None, most: int) -> timedelta | None:
    if minutes is None:
        return None
    if most and minutes > most:
        raise DecisionRefused(
            f"hold_duration_min {minutes} is longer than MAX_HOLDING_MINUTES {most}"
        )
    return timedelta(minutes=minutes)


def _quantity(
    pct: Decimal, leverage: int, price: Decimal, limits: Constraints, field: str
) -> Decimal:
    """Margin `pct` of equity times the leverage, in the base asset at `price`, rounded
    down to the step."""
    if limits.equity <= 0:
        raise DecisionRefused("no equity to size the position from")
    quantity = limits.rules.round_qty(limits.equity * pct / 100 * leverage / price)
    if quantity <= 0:
        raise DecisionRefused(
            f"{field} {_plain(pct)}% of equity {_plain(limits.equity)} rounds to no "
            f"quantity (step {_plain(limits.rules.step_size)})"
        )
    return quantity


def _check_total(order: DecisionOrder, limits: Constraints) -> None:
    """The entry and every add together within MAX_POSITION_PCT (the gate checks each
    order again when it goes out)."""
    total = order.size_pct_equity + sum((a.size_pct_equity for a in order.scale_in), Decimal(0))
    exposure = total * order.leverage
    if exposure > limits.max_position_pct:
        raise DecisionRefused(
            f"size_pct_equity {_plain(total)}% (with scale_in) × leverage {order.leverage}x = "
            f"{_plain(exposure)}% of equity, above MAX_POSITION_PCT "
            f"{_plain(limits.max_position_pct)}%"
        )


def _check_partials(takes: tuple[TakeLevel, ...], quantity: Decimal, limits: Constraints) -> None:
    """Each partial close a whole number of steps, and on spot (where a reduce-only
    order is not exempt) at least the minimum notional: else it could never be sent."""
    rules = limits.rules
    for n, level in enumerate(takes, 1):
        part = rules.round_qty(quantity * level.ratio)
        small = limits.market is MarketKind.SPOT and part * level.price < rules.min_notional
        if part <= 0 or small:
            raise DecisionRefused(
                f"take_profits {n} closes {_plain(part)} ({_plain(part * level.price)} "
                f"quote) of {_plain(quantity)}: under the step {_plain(rules.step_size)} or "
                f"the minimum notional {_plain(rules.min_notional)}"
            )


def _plain(value: Decimal) -> str:
    return clip(f"{value.normalize():f}")
