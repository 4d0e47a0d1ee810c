"""The functional core: market events in, order commands and safety events out.

Synchronous and deterministic (no I/O, no clock reads, no await): the live trader, the
headless runner, the backtester and the benchmark drive this same object."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tui_trader.clock import dt_to_ms
from tui_trader.domain.enums import IntentPurpose, MarketKind, OrderType, Side, SignalAction
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import OrderIntent, Signal
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.commands import CancelRequest, ExecutionCommand
from tui_trader.execution.order_book import OrderBook
from tui_trader.market.state import MarketState
from tui_trader.portfolio import Portfolio
from tui_trader.risk.anomaly import AnomalyMonitor
from tui_trader.risk.circuit_breaker import CircuitBreaker
from tui_trader.risk.context import RiskContext
from tui_trader.risk.exits import ExitManager
from tui_trader.safety.trading_state import TradingState
from tui_trader.strategies.base import Strategy
from tui_trader.volatility import VolatilityDetector, VolatilityTrigger


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
    volatility: VolatilityDetector
    rules: Mapping[str, SymbolRules]


@dataclass(slots=True)
class CoreOutputs:
    """Callbacks for what the core produces besides commands."""

    safety: Callable[[SafetyEvent], None]
    signal: Callable[[Signal], None] = lambda _signal: None
    trigger: Callable[[VolatilityTrigger], None] = lambda _trigger: None


@dataclass(slots=True)
class TradingCore:
    config: CoreConfig
    parts: CoreParts
    out: CoreOutputs
    # Entries only while ACTIVE, protective exits unless HALTED: the gate reads the same.
    state: TradingState = field(default_factory=TradingState)
    last_signals: dict[str, Signal] = field(default_factory=dict)
    _pending: set[str] = field(default_factory=set)  # symbols with an intent in the queue

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
        for trigger in parts.volatility.on_tick(tick):
            self.out.trigger(trigger)
        parts.market.on_tick(tick)
        parts.portfolio.mark(tick.symbol, tick.price)
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
        parts = self.parts
        if not parts.market.on_candle(candle).has_book:
            # Candle-only feeds (replay, backtest): the close is the mark price.
            parts.portfolio.mark(candle.symbol, candle.close)
        breaker_event = parts.breaker.on_candle(candle)
        if breaker_event is not None:
            self.out.safety(breaker_event)
        for trigger in parts.volatility.on_candle(candle):
            self.out.trigger(trigger)
        commands: list[ExecutionCommand] = self._expire_entries(candle.close_time)
        strategy = parts.strategies.get(candle.symbol)
        if strategy is None:
            return commands
        signal = strategy.on_candle(candle)
        self.last_signals[candle.symbol] = signal
        if signal.action is not SignalAction.HOLD:
            self.out.signal(signal)
            commands.extend(self._act_on(signal, candle))
        return commands

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
        if held != 0 or not self.state.entries_allowed or self.parts.orders.open_for(symbol):
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

    def risk_context(self, now: datetime, day_start_equity: Decimal, leverage: int) -> RiskContext:
        """The account as the risk checks must see it now (one builder for the live
        trader, the backtester and the benchmark, so they cannot disagree)."""
        parts = self.parts
        equity = parts.portfolio.equity()
        return RiskContext(
            now=now,
            equity=equity,
            day_start_equity=day_start_equity or equity,
            positions=parts.portfolio.positions,
            open_orders=parts.orders.open_orders(),
            reference_prices=parts.market.prices(),
            rules=parts.rules,
            breaker_tripped=parts.breaker.tripped,
            leverage=leverage,
            market=self.config.market,
        )

    def intent_resolved(self, symbol: str) -> None:
        """The engine has decided on this symbol's queued intent (placed or refused)."""
        self._pending.discard(symbol)

    def _entry(self, signal: Signal, candle: Candle) -> OrderIntent | None:
        state = self.parts.market.symbols[signal.symbol]
        side = Side.BUY if signal.action is SignalAction.BUY else Side.SELL
        touch = state.ask if side is Side.BUY else state.bid
        if touch <= 0:
            return None
        rules = self.parts.rules[signal.symbol]
        budget = self.parts.portfolio.equity() * self.config.position_size_pct / 100
        quantity = rules.round_qty(signal.quantity or budget / touch)
        if quantity <= 0:
            return None
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
            if order.purpose is IntentPurpose.ENTRY and now - order.created_at >= ttl
        ]
