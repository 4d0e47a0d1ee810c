"""Protective exits: stop-loss, take-profit, trailing stop and maximum holding time, from
the percentages, or from a position's own plan (risk/exit_plan.py: an LLM decision's
levels, partial take-profits and scale-in adds).

Exits are intents like any other and go through the same queue and risk checks. Only one
exit per position is in flight at a time: after emitting one, the manager stays quiet for
that position until `exit_finished` says the order died (then it may try again under a
new intent id) or the position is `reset`."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from tui_trader.clock import dt_to_ms
from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.market import Tick
from tui_trader.domain.orders import OrderIntent
from tui_trader.domain.portfolio import Position
from tui_trader.domain.rules import SymbolRules
from tui_trader.risk.exit_plan import ExitPlan
from tui_trader.risk.limits import RiskLimits

_FLATTEN_PURPOSES = frozenset({IntentPurpose.FLATTEN, IntentPurpose.MANUAL_CLOSE})


@dataclass(frozen=True, slots=True)
class ExitLevels:
    """Prices at which each exit fires; None when disabled or not yet active."""

    stop_loss: Decimal | None
    take_profit: Decimal | None
    trailing_stop: Decimal | None
    take_profit_part: Decimal | None = None  # a partial take-profit's quantity; None: all


@dataclass(slots=True)
class _Track:
    opened_at: datetime | None
    key_ms: int  # names the intent ids: opened_at, or the first time the position was seen
    long: bool
    entry: Decimal
    water: Decimal  # best price since opening: high-water (long) / low-water (short)
    # Absolute distances from the entry (ATR sizing), else the percentages apply.
    distances: tuple[Decimal, Decimal | None] | None = None
    plan: ExitPlan | None = None
    held: Decimal = Decimal(0)  # the position's size now, and its largest so far
    peak: Decimal = Decimal(0)
    adds_done: set[int] | None = None

    def beyond(self, price: Decimal, level: Decimal) -> bool:
        """True when `price` is at or past `level` in the position's favour."""
        return price >= level if self.long else price <= level


class ExitManager:
    def __init__(self, limits: RiskLimits, allow_market_orders: bool | None = None) -> None:
        self.limits = limits
        self.allow_market_orders = (
            limits.allow_market_orders if allow_market_orders is None else allow_market_orders
        )
        self._tracks: dict[str, _Track] = {}
        self._in_flight: set[str] = set()  # symbols with an exit order working
        self._retries: dict[str, int] = {}  # exits that died, per symbol: names the next id
        self._distances: dict[str, tuple[Decimal, Decimal | None]] = {}  # for the next track
        self._plans: dict[str, ExitPlan] = {}  # for the next track, in place of the above

    def levels(self, symbol: str) -> ExitLevels:
        track = self._tracks.get(symbol)
        if track is None:
            return ExitLevels(None, None, None)
        return self._levels(track)

    def set_distances(self, symbol: str, distances: tuple[Decimal, Decimal | None] | None) -> None:
        """The stop (and take-profit) distance from the entry of `symbol`'s next position
        (ATR sizing); None: the percentages."""
        if distances is None:
            self._distances.pop(symbol, None)
        elif self._tracks.get(symbol) is None:  # an add to an open position keeps its own
            self._distances[symbol] = distances

    def set_plan(self, symbol: str, plan: ExitPlan | None) -> None:
        """The plan of `symbol`'s next position (an LLM decision's entry), in place of the
        percentages; None: none. A position already open keeps its own."""
        if plan is None:
            self._plans.pop(symbol, None)
        elif self._tracks.get(symbol) is None:
            self._plans[symbol] = plan

    def plan(self, symbol: str) -> ExitPlan | None:
        track = self._tracks.get(symbol)
        return track.plan if track is not None else self._plans.get(symbol)

    def progress(self, position: Position) -> ExitPlan | None:
        """`position`'s plan with how far it got (its largest size, the adds taken), to
        journal for a restart; None without a plan."""
        track = self._tracks.get(position.symbol)
        plan = self.plan(position.symbol)
        if plan is None:
            return None
        peak = max(track.peak if track else plan.size, abs(position.quantity))
        done = frozenset(track.adds_done or ()) if track else plan.adds_done
        return replace(plan, size=peak, adds_done=done)

    def levels_for(self, position: Position) -> ExitLevels:
        """The levels of `position`: its tracked marks, or from its entry alone when it is
        not tracked yet (just filled, no tick since)."""
        track = self._tracks.get(position.symbol)
        long = position.quantity > 0
        if track is None or track.opened_at != position.opened_at or track.long != long:
            track = self._new_track(position, 0)
        return self._levels(track)

    def on_tick(self, tick: Tick, position: Position, rules: SymbolRules) -> OrderIntent | None:
        if tick.symbol != position.symbol:
            raise ValueError(f"tick for {tick.symbol} given with a {position.symbol} position")
        if not position.is_open:
            self.reset(position.symbol)
            return None
        track = self._track(position, tick.ts)
        track.water = max(track.water, tick.price) if track.long else min(track.water, tick.price)
        if position.symbol in self._in_flight:
            return None
        trigger = self._trigger(track, tick)
        if trigger is None:
            return self._add(track, position, tick, rules)
        purpose, reason, part, tag = trigger
        intent_id = f"{purpose.value.lower()}-{position.symbol}-{track.key_ms}{tag}"
        retries = self._retries.get(position.symbol, 0)
        if retries:
            intent_id += f"-r{retries}"
        intent = self._intent(position, tick, rules, purpose, intent_id, tick.ts, reason, part)
        if intent is not None:
            self._in_flight.add(position.symbol)
        return intent

    def _add(
        self, track: _Track, position: Position, tick: Tick, rules: SymbolRules
    ) -> OrderIntent | None:
        """A scale-in level the price came back to: a new entry (the risk gate decides),
        once; none after a take-profit has begun to close the position."""
        plan, done = track.plan, track.adds_done
        if plan is None or done is None or track.peak > track.held:
            return None
        index = plan.add_due(tick.price, done)
        if index is None:
            return None
        done.add(index)
        add = plan.adds[index]
        side = Side.BUY if track.long else Side.SELL
        price = None
        if plan.add_type is OrderType.LIMIT:
            touch = tick.ask if track.long else tick.bid
            best = min(add.price, touch) if track.long else max(add.price, touch)
            price = rules.round_price(best if touch > 0 else add.price, side)
        return OrderIntent(
            intent_id=f"add-{position.symbol}-{track.key_ms}-{index + 1}",
            symbol=position.symbol,
            side=side,
            order_type=plan.add_type,
            quantity=add.quantity,
            price=price,
            purpose=IntentPurpose.ENTRY,
            created_at=tick.ts,
            reference_price=tick.price,
            reason=f"scale-in {index + 1}: price {tick.price} reached {add.price}",
            strategy="llm",
        )

    def flatten_intent(
        self,
        position: Position,
        market: Tick | Decimal,
        rules: SymbolRules,
        purpose: IntentPurpose,
        now: datetime,
    ) -> OrderIntent | None:
        """Close the whole position now (kill switch, operator). None when nothing
        tradable is held (flat, or dust below the step size). Protective exits for the
        position wait until `exit_finished` is called for this order."""
        if purpose not in _FLATTEN_PURPOSES:
            raise ValueError(f"flatten purpose must be FLATTEN or MANUAL_CLOSE, not {purpose}")
        if not position.is_open:
            return None
        quote = market if isinstance(market, Tick) else _quote(position.symbol, market, now)
        intent_id = f"{purpose.value.lower()}-{position.symbol}-{dt_to_ms(now)}"
        reason = f"{purpose.value.lower().replace('_', ' ')} of {position.quantity}"
        intent = self._intent(position, quote, rules, purpose, intent_id, now, reason)
        if intent is not None:
            self._track(position, now)
            self._in_flight.add(position.symbol)
        return intent

    def exit_finished(self, symbol: str, filled: bool) -> None:
        """The exit order for `symbol` reached a final state. Filled: stay quiet until the
        position is reset. Not filled (cancelled, rejected, refused by risk): allow a new
        exit under a new intent id."""
        if filled or symbol not in self._in_flight:
            return
        self._in_flight.discard(symbol)
        self._retries[symbol] = self._retries.get(symbol, 0) + 1

    def in_flight(self, symbol: str) -> bool:
        return symbol in self._in_flight

    def mark_in_flight(self, symbol: str) -> None:
        """Another exit for `symbol` (e.g. a strategy's exit signal) is in flight: hold
        the protective exits until `exit_finished`."""
        self._in_flight.add(symbol)

    def reset(self, symbol: str) -> None:
        """The position closed: forget its marks and exit state."""
        self._tracks.pop(symbol, None)
        self._distances.pop(symbol, None)
        self._plans.pop(symbol, None)
        self._in_flight.discard(symbol)
        self._retries.pop(symbol, None)

    def _track(self, position: Position, seen_at: datetime) -> _Track:
        long = position.quantity > 0
        track = self._tracks.get(position.symbol)
        if track is not None and (track.opened_at != position.opened_at or track.long != long):
            self.reset(position.symbol)  # a different position than the one tracked
            track = None
        if track is None:
            track = self._new_track(position, dt_to_ms(position.opened_at or seen_at))
            self._tracks[position.symbol] = track
        track.entry = position.average_entry  # adding to a position moves the average
        track.held = abs(position.quantity)
        track.peak = max(track.peak, track.held)
        return track

    def _new_track(self, position: Position, key_ms: int) -> _Track:
        long, entry = position.quantity > 0, position.average_entry
        track = _Track(position.opened_at, key_ms, long, entry, entry)
        track.distances = self._distances.get(position.symbol)
        plan = self._plans.get(position.symbol)
        track.held = track.peak = abs(position.quantity)
        if plan is not None and plan.long == long:  # the decision's side, nothing else
            track.plan, track.adds_done = plan, set(plan.adds_done)
            track.peak = max(track.peak, plan.size)  # a restart: as far as it had got
        return track

    def _levels(self, track: _Track) -> ExitLevels:
        plan = track.plan
        if plan is not None:
            next_take = plan.take_profit(track.held, track.peak)
            price, part = next_take if next_take is not None else (None, None)
            return ExitLevels(plan.stop_loss, price, plan.trailing_level(track.water), part)
        sign = 1 if track.long else -1
        limits = self.limits
        stop = track.entry * (1 - sign * limits.stop_loss_pct / 100)
        take = track.entry * (1 + sign * limits.take_profit_pct / 100)
        if track.distances is not None:
            stop_distance, take_distance = track.distances
            stop = track.entry - sign * stop_distance
            if take_distance is not None:
                take = track.entry + sign * take_distance
        # The trailing stop protects gains: it is active once price has moved our way.
        trailing = track.water * (1 - sign * limits.trailing_stop_pct / 100)
        gained = track.water != track.entry and track.beyond(track.water, track.entry)
        trailing_on = limits.trailing_stop_pct > 0 and gained
        return ExitLevels(
            stop if limits.stop_loss_pct > 0 else None,
            take if limits.take_profit_pct > 0 else None,
            trailing if trailing_on else None,
        )

    def _trigger(
        self, track: _Track, tick: Tick
    ) -> tuple[IntentPurpose, str, Decimal | None, str] | None:
        """(why, the reason's words, a partial quantity or None for all, an id tag)."""
        levels = self._levels(track)
        price = tick.price
        checks = (
            (IntentPurpose.STOP_LOSS, levels.stop_loss, False),
            (IntentPurpose.TAKE_PROFIT, levels.take_profit, True),
            (IntentPurpose.TRAILING_STOP, levels.trailing_stop, False),
        )
        for purpose, level, favourable in checks:
            if level is None:
                continue
            hit = track.beyond(price, level) if favourable else track.beyond(level, price)
            if not hit:
                continue
            reason = f"{purpose.value.lower()}: price {price} reached {level}"
            part = levels.take_profit_part if purpose is IntentPurpose.TAKE_PROFIT else None
            if part is not None:
                return purpose, f"{reason}, closing {part} of {track.held}", part, f"-tp{level}"
            return purpose, reason, None, ""
        most = self._hold(track)
        if most is not None and track.opened_at is not None:
            held = tick.ts - track.opened_at
            if held >= most:
                return IntentPurpose.MAX_HOLDING, f"max_holding: held {held} ≥ {most}", None, ""
        return None

    def _hold(self, track: _Track) -> timedelta | None:
        """How long the position may be held: its plan's hold duration, else
        MAX_HOLDING_MINUTES (0: for ever)."""
        if track.plan is not None and track.plan.hold is not None:
            return track.plan.hold
        minutes = self.limits.max_holding_minutes
        return timedelta(minutes=minutes) if minutes > 0 else None

    def _intent(
        self,
        position: Position,
        tick: Tick,
        rules: SymbolRules,
        purpose: IntentPurpose,
        intent_id: str,
        now: datetime,
        reason: str,
        part: Decimal | None = None,
    ) -> OrderIntent | None:
        quantity = rules.round_qty(abs(position.quantity) if part is None else part)
        if quantity <= 0:
            return None
        side = Side.SELL if position.quantity > 0 else Side.BUY
        order_type, price = OrderType.MARKET, None
        if not self.allow_market_orders:
            order_type, price = OrderType.LIMIT, self._marketable_price(tick, side, rules)
        return OrderIntent(
            intent_id=intent_id,
            symbol=position.symbol,
            side=side,
            order_type=order_type,
            quantity=quantity,
            price=price,
            purpose=purpose,
            created_at=now,
            reference_price=tick.price,
            reason=reason,
            reduce_only=True,
            meta={"entry": str(position.average_entry)},
        )

    def _marketable_price(self, tick: Tick, side: Side, rules: SymbolRules) -> Decimal:
        """A limit through the book by half the allowed slippage, so it fills now yet
        stays within the risk manager's slippage check."""
        half = self.limits.max_slippage_bps / 2 / 10000
        if side is Side.SELL:
            bid = tick.bid if tick.bid > 0 else tick.price
            return rules.round_price(bid * (1 - half), side)
        ask = tick.ask if tick.ask > 0 else tick.price
        return rules.round_price(ask * (1 + half), side)


def _quote(symbol: str, price: Decimal, now: datetime) -> Tick:
    return Tick(symbol=symbol, ts=now, price=price, bid=price, ask=price)
