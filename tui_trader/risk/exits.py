"""Protective exits: stop-loss, take-profit, trailing stop and maximum holding time.

Exits are intents like any other and go through the same queue and risk checks. Only one
exit per position is in flight at a time: after emitting one, the manager stays quiet for
that position until `exit_finished` says the order died (then it may try again under a
new intent id) or the position is `reset`."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tui_trader.clock import dt_to_ms
from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.market import Tick
from tui_trader.domain.orders import OrderIntent
from tui_trader.domain.portfolio import Position
from tui_trader.domain.rules import SymbolRules
from tui_trader.risk.limits import RiskLimits

_FLATTEN_PURPOSES = frozenset({IntentPurpose.FLATTEN, IntentPurpose.MANUAL_CLOSE})


@dataclass(frozen=True, slots=True)
class ExitLevels:
    """Prices at which each exit fires; None when disabled or not yet active."""

    stop_loss: Decimal | None
    take_profit: Decimal | None
    trailing_stop: Decimal | None


@dataclass(slots=True)
class _Track:
    opened_at: datetime | None
    key_ms: int  # names the intent ids: opened_at, or the first time the position was seen
    long: bool
    entry: Decimal
    water: Decimal  # best price since opening: high-water (long) / low-water (short)
    # Absolute distances from the entry (ATR sizing), else the percentages apply.
    distances: tuple[Decimal, Decimal | None] | None = None

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

    def levels_for(self, position: Position) -> ExitLevels:
        """The levels of `position`: its tracked marks, or from its entry alone when it is
        not tracked yet (just filled, no tick since)."""
        track = self._tracks.get(position.symbol)
        long = position.quantity > 0
        if track is None or track.opened_at != position.opened_at or track.long != long:
            entry = position.average_entry
            distances = self._distances.get(position.symbol)
            track = _Track(position.opened_at, 0, long, entry, entry, distances)
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
            return None
        purpose, reason = trigger
        intent_id = f"{purpose.value.lower()}-{position.symbol}-{track.key_ms}"
        retries = self._retries.get(position.symbol, 0)
        if retries:
            intent_id += f"-r{retries}"
        intent = self._intent(position, tick, rules, purpose, intent_id, tick.ts, reason)
        if intent is not None:
            self._in_flight.add(position.symbol)
        return intent

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
        self._in_flight.discard(symbol)
        self._retries.pop(symbol, None)

    def _track(self, position: Position, seen_at: datetime) -> _Track:
        long = position.quantity > 0
        track = self._tracks.get(position.symbol)
        if track is not None and (track.opened_at != position.opened_at or track.long != long):
            self.reset(position.symbol)  # a different position than the one tracked
            track = None
        if track is None:
            key_ms = dt_to_ms(position.opened_at or seen_at)
            entry = position.average_entry
            distances = self._distances.get(position.symbol)
            track = _Track(position.opened_at, key_ms, long, entry, entry, distances)
            self._tracks[position.symbol] = track
        track.entry = position.average_entry  # adding to a position moves the average
        return track

    def _levels(self, track: _Track) -> ExitLevels:
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

    def _trigger(self, track: _Track, tick: Tick) -> tuple[IntentPurpose, str] | None:
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
            if hit:
                return purpose, f"{purpose.value.lower()}: price {price} reached {level}"
        minutes = self.limits.max_holding_minutes
        if minutes > 0 and track.opened_at is not None:
            held = tick.ts - track.opened_at
            if held >= timedelta(minutes=minutes):
                return IntentPurpose.MAX_HOLDING, f"max_holding: held {held} ≥ {minutes} min"
        return None

    def _intent(
        self,
        position: Position,
        tick: Tick,
        rules: SymbolRules,
        purpose: IntentPurpose,
        intent_id: str,
        now: datetime,
        reason: str,
    ) -> OrderIntent | None:
        quantity = rules.round_qty(abs(position.quantity))
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
