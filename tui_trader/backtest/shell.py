"""A synchronous trader for backtests: what `Trader.on_market_event` and the
`ExecutionEngine` do for a candle-only (replay) feed whose engine drains after every
candle, in the same order, minus the journal, the awaits and the tasks.

Built by `runtime.core_parts.build_core` like the live trader (same strategy, risk manager,
exits and paper exchange with `fill_on_candles=True`), with the same `OrderGate`. The
reactions to an order update, a fill and a refusal, and the start-of-day equity, are the
core's own (`TradingCore.on_order_update`, `on_fill`, `on_refused`, `track_account`),
the very methods the live trader calls; what is left here is counting. The order of the engine's
steps is runtime/execution_engine.py's: tests/integration/test_backtest_parity.py fails when
the two drift apart."""

from datetime import UTC, datetime

from tui_trader.backtest.results import RunCounts
from tui_trader.clock import SimulatedClock
from tui_trader.config import Settings
from tui_trader.core.trading_core import CoreOutputs, OrderReaction
from tui_trader.domain.enums import OrderStatus
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Candle
from tui_trader.domain.orders import Fill, Order, OrderIntent, Signal
from tui_trader.execution.commands import ExecutionCommand, order_from_intent
from tui_trader.execution.gate import GateDecision, OrderGate
from tui_trader.execution.idempotency import IdempotencyGuard
from tui_trader.risk.context import RiskContext
from tui_trader.runtime.core_parts import build_core

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the replay trader's market clock starts here too


class SyncTrader:
    def __init__(self, settings: Settings, symbol: str) -> None:
        self.settings = settings
        self.core, self.exchange, risk = build_core(
            settings, (symbol,), candles_only=True, track_peak=False, triggers=False
        )
        # No hold: the engine is RUNNING for the whole replay.
        self.gate = OrderGate(risk, IdempotencyGuard(), self.core.state)
        self.clock = SimulatedClock(EPOCH)
        self.counts = RunCounts()
        self.fills: list[Fill] = []
        self.core.connect(CoreOutputs(safety=self._safety, signal=self._signal))

    def on_candle(self, candle: Candle, signal: Signal | None = None) -> bool:
        """One closed candle through the exchange, the core and the engine; True when
        the exchange reported fills or order updates. `signal`: the strategy's on this
        candle when the backtester asked it already (`Strategy.on_bar`)."""
        ts = candle.close_time
        self.clock.set(ts)
        updates = self.exchange.on_candle(candle)  # PaperBroker → Trader.on_broker_event
        for update in updates:
            if isinstance(update, Fill):
                self._apply_fill(update)
            else:
                self._apply_order(update)
        if signal is None:
            commands = self.core.on_candle(candle)
        else:
            commands = self.core.observe_candle(candle)
            commands.extend(self.core.on_signal(signal, candle))
        self.core.track_account(ts)
        if commands:
            self._execute(commands)
        return bool(updates)

    # --- Trader.on_broker_event and the engine listener, synchronously -----------------
    def _apply_fill(self, fill: Fill) -> None:
        self.fills.append(fill)
        self.core.on_fill(fill)

    def _apply_order(self, order: Order) -> None:
        self._count(self.core.on_order_update(order))

    def _on_order(self, order: Order) -> None:
        self._count(self.core.on_order_outcome(order))

    def _count(self, reaction: OrderReaction) -> None:
        if reaction.rejected:
            self.counts.safety[SafetyKind.ORDER_REJECTED] += 1

    # --- ExecutionEngine.process ----------------------------------------------------------
    def _execute(self, commands: list[ExecutionCommand]) -> None:
        for command in commands:
            if isinstance(command, OrderIntent):
                self._place(command)
                continue
            self.counts.cancels += 1
            canceled = self.exchange.cancel(command.client_order_id, self.clock.now())
            if canceled is not None:
                self._on_order(canceled)

    def _place(self, intent: OrderIntent) -> None:
        self.counts.intents += 1
        decision = self.gate.check(intent, self._context())
        if not decision.approved:
            self._refused(decision)
            return
        order = order_from_intent(intent, decision.client_order_id, self.clock)
        now = self.clock.now()
        result = self.exchange.submit(order, now)
        self.gate.risk.record_sent(now)
        if result.status is OrderStatus.REJECTED:
            self.counts.rejected += 1
        else:
            self.counts.orders += 1
        self._on_order(result)

    def _refused(self, decision: GateDecision) -> None:
        """The engine listener's on_decision for a refusal."""
        failed = decision.risk.failed if decision.risk is not None else ()
        self.counts.refusals[failed[0].name if failed else decision.stage] += 1
        self.core.on_refused(decision.intent)
        self.counts.safety[SafetyKind.RISK_REJECTED] += 1

    def _context(self) -> RiskContext:
        """Trader.risk_context."""
        return self.core.risk_context(self.clock.now(), self.settings.max_leverage)

    # --- core outputs ---------------------------------------------------------------------
    def _signal(self, _signal: Signal) -> None:
        self.counts.signals += 1

    def _safety(self, event: SafetyEvent) -> None:
        self.counts.safety[event.kind] += 1
