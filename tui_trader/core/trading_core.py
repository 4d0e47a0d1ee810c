"""The functional core: market events in, order commands and safety events out; order
updates, fills and refusals in, plain reactions out (what the shell reports or journals).

Synchronous and deterministic (no I/O, no clock reads, no await): the live trader, the
headless runner, the backtester and the benchmark drive this same object, so the rules
that decide money exist once."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tui_trader.clock import dt_to_ms
from tui_trader.core.ledger import Portfolio
from tui_trader.core.protection_watch import ProtectionWatch
from tui_trader.core.volatility import VolatilityDetector, VolatilityTrigger
from tui_trader.domain.enums import (
    IntentPurpose,
    MarketKind,
    OrderStatus,
    OrderType,
    Side,
    SignalAction,
)
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.guards import is_guard_id
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import Fill, Order, OrderIntent, Signal
from tui_trader.domain.portfolio import Position
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.commands import CancelRequest, ExecutionCommand
from tui_trader.execution.order_book import OrderBook
from tui_trader.market.state import MarketState
from tui_trader.risk.account import AccountTracker
from tui_trader.risk.anomaly import AnomalyMonitor
from tui_trader.risk.circuit_breaker import CircuitBreaker
from tui_trader.risk.context import RiskContext
from tui_trader.risk.exits import ExitManager
from tui_trader.risk.protections import Protections, ProtectionSettings
from tui_trader.risk.sizing import Sizer, SizingSettings
from tui_trader.safety.trading_state import TradingState
from tui_trader.strategies.base import Strategy


@dataclass(frozen=True, slots=True)
class CoreConfig:
    market: MarketKind
    position_size_pct: Decimal
    allow_market_orders: bool
    entry_order_ttl: timedelta
    shorts_allowed: bool = False


@dataclass(slots=True)
class CoreParts:
    market: MarketState
    portfolio: Portfolio
    orders: OrderBook
    strategies: Mapping[str, Strategy]
    exits: ExitManager
    breaker: CircuitBreaker
    anomaly: AnomalyMonitor
    volatility: VolatilityDetector | None  # None: off (a backtest, where no one listens)
    rules: Mapping[str, SymbolRules]
    protections: Protections = field(default_factory=lambda: Protections(ProtectionSettings()))
    sizer: Sizer = field(default_factory=lambda: Sizer(SizingSettings()))  # SIZING


@dataclass(slots=True)
class CoreOutputs:
    """Callbacks for what the core produces besides commands."""

    safety: Callable[[SafetyEvent], None]
    signal: Callable[[Signal], None] = lambda _signal: None
    trigger: Callable[[VolatilityTrigger], None] = lambda _trigger: None


@dataclass(frozen=True, slots=True)
class OrderReaction:
    """What an order update did: nothing (`applied` False: a newer or final state was
    already known), or moved the order book, and maybe finished an exit."""

    order: Order
    applied: bool
    exit_finished: bool = False  # a final exit order: the symbol's exits are re-armed

    @property
    def rejected(self) -> bool:
        """A rejection to report (only once: a late copy is not applied)."""
        return self.applied and self.order.status is OrderStatus.REJECTED


@dataclass(frozen=True, slots=True)
class FillReaction:
    """What a fill did to the account."""

    position: Position  # the symbol's position after the fill
    new_day: bool  # the fill began a new UTC day: the start-of-day equity was reset


@dataclass(slots=True)
class TradingCore:
    config: CoreConfig
    parts: CoreParts
    out: CoreOutputs
    # Entries only while ACTIVE, protective exits unless HALTED: the gate reads the same.
    state: TradingState = field(default_factory=TradingState)
    account: AccountTracker = field(default_factory=AccountTracker)  # day start, peak
    last_signals: dict[str, Signal] = field(default_factory=dict)
    _pending: set[str] = field(default_factory=set)  # symbols with an intent in the queue
    watch: ProtectionWatch = field(init=False)  # the protections' pauses (protections.py)

    def __post_init__(self) -> None:
        # Pauses are said through whatever output is connected then; Kelly sizing
        # learns from the closed trades.
        learn = self.parts.sizer.trade_closed if self.parts.sizer.needs_trades else None
        say: Callable[[SafetyEvent], None] = lambda event: self.out.safety(event)  # noqa: E731
        self.watch = ProtectionWatch(self.parts.protections, self.state, say, on_trade=learn)

    def connect(self, out: CoreOutputs) -> None:
        """Where signals, volatility triggers and safety events go from now on: the
        shell that drives this core (live trader, backtester, benchmark)."""
        self.out = out

    def on_event(self, event: Tick | Candle) -> list[ExecutionCommand]:
        if isinstance(event, Tick):
            return self.on_tick(event)
        return self.on_candle(event) if event.closed else []

    def on_tick(self, tick: Tick) -> list[ExecutionCommand]:
        parts = self.parts
        for event in parts.anomaly.on_tick(tick):
            self.out.safety(event)
        breaker_event = parts.breaker.on_tick(tick)
        if breaker_event is not None:
            self.out.safety(breaker_event)
        if parts.volatility is not None:
            for trigger in parts.volatility.on_tick(tick):
                self.out.trigger(trigger)
        parts.market.on_tick(tick)
        parts.portfolio.mark(tick.symbol, tick.price)
        self.watch.release_expired(tick.ts)  # live: a pause ends on time, not at a signal
        return self._protective_exit(tick)

    def _protective_exit(self, tick: Tick) -> list[ExecutionCommand]:
        portfolio = self.parts.portfolio
        if not portfolio.held(tick.symbol) or not self.state.exits_allowed:
            return []
        if tick.symbol in self._pending:
            return []
        position = portfolio.position(tick.symbol)
        intent = self.parts.exits.on_tick(tick, position, self.parts.rules[tick.symbol])
        return self._emit(intent) if intent is not None else []

    def on_candle(self, candle: Candle) -> list[ExecutionCommand]:
        commands = self.observe_candle(candle)
        strategy = self.parts.strategies.get(candle.symbol)
        if strategy is not None:
            commands.extend(self.on_signal(strategy.on_candle(candle), candle))
        return commands

    def observe_candle(self, candle: Candle) -> list[ExecutionCommand]:
        """What a closed candle does before its strategy decides: prices, guards, and
        the cancels of entries that waited too long. `on_candle` is this, then the
        strategy's signal through `on_signal`; the backtester calls the two itself when
        it has asked the strategy already (`Strategy.on_bar`)."""
        parts = self.parts
        if not parts.market.on_candle(candle).has_book:
            # Candle-only feeds (replay, backtest): the close is the mark price.
            parts.portfolio.mark(candle.symbol, candle.close)
        breaker_event = parts.breaker.on_candle(candle)
        if breaker_event is not None:
            self.out.safety(breaker_event)
        if parts.volatility is not None:
            for trigger in parts.volatility.on_candle(candle):
                self.out.trigger(trigger)
        return self._expire_entries(candle.close_time)

    def on_signal(self, signal: Signal, candle: Candle) -> list[ExecutionCommand]:
        """The strategy's signal on `candle`: remembered, and acted on unless HOLD."""
        self.last_signals[candle.symbol] = signal
        if signal.action is SignalAction.HOLD:
            return []
        self.out.signal(signal)
        return self._act_on(signal, candle)

    def _act_on(self, signal: Signal, candle: Candle) -> list[ExecutionCommand]:
        symbol = signal.symbol
        if symbol in self._pending:
            return []
        held = self.parts.portfolio.held(symbol)
        closes_long = signal.action is SignalAction.SELL and held > 0
        closes_short = signal.action is SignalAction.BUY and held < 0
        if closes_long or closes_short:
            if not self.state.exits_allowed or self.parts.exits.in_flight(symbol):
                return []
            exit_intent = self._signal_exit(signal, candle, abs(held))
            return self._emit(exit_intent) if exit_intent.quantity > 0 else []
        if held != 0 or self.parts.orders.open_for(symbol):
            return []
        equity = self.parts.portfolio.equity()
        if not self.watch.may_enter(symbol, candle.close_time, equity):
            return []
        if not self.state.entries_allowed:
            return []
        if signal.action is SignalAction.SELL and not self.config.shorts_allowed:
            return []
        intent = self._entry(signal, candle)
        return self._emit(intent) if intent is not None else []

    def _emit(self, intent: OrderIntent) -> list[ExecutionCommand]:
        self._pending.add(intent.symbol)
        if intent.purpose.is_exit:
            self.parts.exits.mark_in_flight(intent.symbol)
        return [intent]

    def risk_context(self, now: datetime, leverage: int) -> RiskContext:
        """The account as the risk checks must see it now (one builder for the live
        trader, the backtester and the benchmark, so they cannot disagree)."""
        parts = self.parts
        equity = parts.portfolio.equity()
        return RiskContext(
            now=now,
            equity=equity,
            day_start_equity=self.account.day_start or equity,
            positions=parts.portfolio.positions,
            open_orders=parts.orders.open_orders(),
            reference_prices=parts.market.prices(),
            rules=parts.rules,
            breaker_tripped=parts.breaker.tripped,
            leverage=leverage,
            market=self.config.market,
        )

    def adopt_portfolio(self, portfolio: Portfolio, open_orders: Iterable[Order] = ()) -> None:
        """Trade another account from now on (restored from the journal, or an
        exchange's) with its open orders: its own start of day and peak, not those of
        the one it replaces."""
        self.parts.portfolio = portfolio
        for order in open_orders:
            self.parts.orders.apply(order)
        self.account.reset()

    def replace_market_parts(
        self,
        market: MarketState,
        strategies: Mapping[str, Strategy],
        breaker: CircuitBreaker,
        anomaly: AnomalyMonitor,
        volatility: VolatilityDetector | None,
    ) -> None:
        """Fresh price-learning parts (another venue's prices): nothing learnt from the
        old prices, and no signal made on them, carries over."""
        parts = self.parts
        parts.market, parts.strategies, parts.breaker = market, strategies, breaker
        parts.anomaly, parts.volatility = anomaly, volatility
        self.last_signals.clear()

    def install_rules(self, rules: Mapping[str, SymbolRules]) -> None:
        """The venue's filters for these symbols from now on (others keep theirs).
        Readers look them up in `parts.rules` when they need them, never keep a copy."""
        self.parts.rules = {**self.parts.rules, **rules}

    # --- reactions: what an order update, a fill or a refusal changes -----------------
    def intent_resolved(self, symbol: str) -> None:
        """The engine has decided on this symbol's queued intent (placed or refused)."""
        self._pending.discard(symbol)

    def claim_entry(self, symbol: str, at: datetime) -> str:
        """An entry decided outside the strategies (the LLM's schedule or a volatility
        trigger): "" when it may go out (the symbol then pending), else why not."""
        if symbol in self._pending or self.parts.orders.open_for(symbol):
            return "an order for it is open or on its way"
        if self.parts.portfolio.held(symbol):
            return "a position is open"
        if not self.watch.may_enter(symbol, at, self.parts.portfolio.equity()):
            return "paused by a protection"
        if not self.state.entries_allowed:
            return f"entries are held ({self.state.headline})"
        self._pending.add(symbol)
        return ""

    def on_refused(self, intent: OrderIntent) -> None:
        """Refused at the gate, or approved but never sent: the symbol may take a new
        intent, and an exit is re-armed (the position is still there)."""
        self._pending.discard(intent.symbol)
        if intent.purpose.is_exit:
            self.parts.exits.exit_finished(intent.symbol, filled=False)

    def on_order_outcome(self, order: Order) -> OrderReaction:
        """The engine's answer to a command it handled (placed, rejected, cancelled)."""
        self._pending.discard(order.symbol)
        return self.on_order_update(order)

    def on_order_update(self, order: Order) -> OrderReaction:
        """The broker reports an order's state. A final exit order finishes the exit:
        filled when the position is gone, re-armed when some is left."""
        parts = self.parts
        if not parts.orders.apply(order):
            return OrderReaction(order, applied=False)  # late: newer state already known
        if not (order.status.is_final and order.purpose.is_exit):
            return OrderReaction(order, applied=True)
        still_open = parts.portfolio.held(order.symbol) != 0
        parts.exits.exit_finished(order.symbol, filled=not still_open)
        return OrderReaction(order, applied=True, exit_finished=True)

    def on_fill(self, fill: Fill) -> FillReaction:
        """Book the fill; a closed position drops its exit levels; the account is
        sampled (a fill may begin the day)."""
        before = self.parts.portfolio.position(fill.symbol)  # its PnL and fees so far
        position = self.parts.portfolio.apply_fill(fill)
        self.watch.after_fill(before, position, fill, self._closing_purpose(fill))
        if not position.is_open:
            self.parts.exits.reset(fill.symbol)
        return FillReaction(position, new_day=self.track_account(fill.ts))

    def _closing_purpose(self, fill: Fill) -> IntentPurpose:
        """What a fill's order was for: an exchange-held stop counts as a stop-loss."""
        if is_guard_id(fill.client_order_id):
            return IntentPurpose.STOP_LOSS
        order = self.parts.orders.get(fill.client_order_id)
        return order.purpose if order is not None else IntentPurpose.MANUAL_CLOSE

    def track_account(self, ts: datetime) -> bool:
        """Sample equity for the day start and the peak; True when a new UTC day began."""
        return self.account.update(self.parts.portfolio.equity, ts)

    def _entry(self, signal: Signal, candle: Candle) -> OrderIntent | None:
        state = self.parts.market.symbols[signal.symbol]
        side = Side.BUY if signal.action is SignalAction.BUY else Side.SELL
        touch = state.ask if side is Side.BUY else state.bid
        if touch <= 0:
            return None
        rules, sizer = self.parts.rules[signal.symbol], self.parts.sizer
        atr = self.parts.strategies[signal.symbol].atr if sizer.needs_atr else None
        budget = sizer.budget(self.parts.portfolio.equity(), touch, atr).quote
        quantity = rules.round_qty(signal.quantity or budget / touch)
        if quantity <= 0:
            return None
        self.parts.exits.set_distances(signal.symbol, sizer.exit_distances(atr))
        return self._intent(
            f"entry-{signal.strategy}-{signal.symbol}-{dt_to_ms(candle.open_time)}",
            signal,
            side,
            quantity,
            rules.round_price(touch, side),
            IntentPurpose.ENTRY,
        )

    def _signal_exit(self, signal: Signal, candle: Candle, quantity: Decimal) -> OrderIntent:
        state = self.parts.market.symbols[signal.symbol]
        side = Side.SELL if signal.action is SignalAction.SELL else Side.BUY
        touch = state.bid if side is Side.SELL else state.ask
        rules = self.parts.rules[signal.symbol]
        return self._intent(
            f"exit-{signal.strategy}-{signal.symbol}-{dt_to_ms(candle.open_time)}",
            signal,
            side,
            rules.round_qty(quantity),
            rules.round_price(touch, side),
            IntentPurpose.EXIT_SIGNAL,
        )

    def _intent(
        self,
        intent_id: str,
        signal: Signal,
        side: Side,
        quantity: Decimal,
        limit: Decimal,
        purpose: IntentPurpose,
    ) -> OrderIntent:
        market = self.config.allow_market_orders
        return OrderIntent(
            intent_id=intent_id,
            symbol=signal.symbol,
            side=side,
            order_type=OrderType.MARKET if market else OrderType.LIMIT,
            quantity=quantity,
            price=None if market else limit,
            purpose=purpose,
            created_at=signal.ts,
            reference_price=signal.price,
            reason=signal.reason,
            strategy=signal.strategy,
            reduce_only=purpose.is_exit,
        )

    def _expire_entries(self, now: datetime) -> list[ExecutionCommand]:
        """Entry orders that did not fill within their time to live are cancelled, so a
        stale price never fills hours later."""
        ttl = self.config.entry_order_ttl
        return [
            CancelRequest(order.client_order_id, f"entry not filled within {ttl}")
            for order in self.parts.orders.open_orders()
            if order.purpose is IntentPurpose.ENTRY
            and not order.is_foreign  # placed outside the trader: never ours to cancel
            and now - order.created_at >= ttl
        ]
