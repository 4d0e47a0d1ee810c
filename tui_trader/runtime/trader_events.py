"""How the trader reacts to what happens: gate decisions, order updates and fills from
the broker, failures, safety events. What decides money is the core's (`TradingCore.on_*`);
this is the edge work around it: journal, safety events, repaint. The trader owns one
`Reactions` and gives it to the execution engine as its listener."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from tui_trader.clock import Clock, SimulatedClock
from tui_trader.core.ledger import Portfolio
from tui_trader.core.trading_core import OrderReaction, TradingCore
from tui_trader.domain.enums import EngineState, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.orders import Fill, Order, OrderIntent
from tui_trader.domain.portfolio import FundingFee, VenueFee
from tui_trader.execution.broker import BrokerEvent
from tui_trader.execution.gate import GateDecision
from tui_trader.journal.reader import PAPER_ACCOUNT
from tui_trader.journal.store import Journal
from tui_trader.ops.log_format import about
from tui_trader.runtime.plan_store import save_plan
from tui_trader.runtime.restore import DAY_START_KEY, MARKET_TIME_KEY
from tui_trader.runtime.views import History
from tui_trader.safety.state_machine import EngineStateMachine
from tui_trader.safety.trading_state import HoldReason, TradingChange, TradingMode
from tui_trader.secrets import default_redactor
from tui_trader.strategies.registry import plugin_problems

CLOCKS_AGREE = timedelta(seconds=1)  # closer than this, market and wall time are one

log = logging.getLogger("tui_trader.runtime.trader")


class Reactions:
    def __init__(
        self,
        core: TradingCore,
        journal: Journal,
        machine: EngineStateMachine,
        clock: SimulatedClock,
        wall_clock: Clock,
        history: History,
        on_kill_trigger: Callable[[SafetyEvent], None],
    ) -> None:
        self.core = core
        self.wall_clock = wall_clock  # operator-facing events: the time they happened
        self.history = history
        self._on_kill_trigger = on_kill_trigger  # the anomaly monitor asks for the kill switch
        self.journal = journal
        self.machine = machine
        self.clock = clock
        self.version = 0
        self.books_changed = False
        self.account_tag = PAPER_ACCOUNT  # whose orders and fills these are, in the journal
        # The engine starts IDLE: only exits until the operator starts it. Held before
        # anyone listens, so a new trader's first event is not "not running".
        core.state.hold(HoldReason.STOPPED, TradingMode.REDUCING, source="engine")
        core.state.listen(self._trading_changed)
        machine.subscribe(self._follow_engine)

    def _follow_engine(self, _before: EngineState, after: EngineState, reason: str) -> None:
        """The engine lifecycle is its own small machine; the trading state follows it:
        entries only while RUNNING, and ERROR says why."""
        state = self.core.state
        if after is EngineState.ERROR:
            state.hold(HoldReason.ERROR, TradingMode.REDUCING, reason, "engine")
        else:
            state.release(HoldReason.ERROR, "engine")
        if after is EngineState.RUNNING:
            state.release(HoldReason.STOPPED, "engine")
        else:
            state.hold(HoldReason.STOPPED, TradingMode.REDUCING, source="engine")

    def _trading_changed(self, change: TradingChange) -> None:
        """Every noticeable change is a safety event; `data` carries the headline the
        journal keeps for `tui-trader status`."""
        self.touch()
        if not change.noticeable:
            return
        severity = Severity.WARNING if change.after > change.before else Severity.INFO
        if change.after is TradingMode.HALTED and change.before is not TradingMode.HALTED:
            severity = Severity.CRITICAL
        self._say(severity, change.summary)

    def say_at_start(self) -> None:
        """Journal the state as it stands (nothing has changed it yet), after what did
        not load: a strategy plug-in that failed is said, the trader goes on."""
        for problem in plugin_problems():
            now = self.wall_clock.now()
            self.record_safety(SafetyEvent(now, Severity.WARNING, SafetyKind.PLUGIN, problem))
        self._say(Severity.INFO, f"at start: {self.core.state.headline}")

    def _say(self, severity: Severity, message: str) -> None:
        # `data` carries the headline the journal keeps for `tui-trader status`.
        state = self.core.state
        data = {"mode": state.mode.name, "headline": state.headline}
        event = SafetyEvent(self.wall_clock.now(), severity, SafetyKind.TRADING_STATE, message)
        self.record_safety(replace(event, data=data))

    def touch(self) -> None:
        """Something changed: the next snapshot must be rebuilt."""
        self.version += 1

    def record_safety(self, event: SafetyEvent) -> None:
        # Messages can quote exchange or LLM replies: mask secrets before the screen,
        # the notifiers or the journal see the event.
        redactor = default_redactor()
        data = {key: redactor.redact_data(value) for key, value in event.data.items()}
        # One clock for the operator: every event is stamped with the wall time it was
        # heard; one the core stamped with market time (a demo runs ahead) keeps it.
        now = self.wall_clock.now()
        if abs(event.ts - now) > CLOCKS_AGREE:
            data["market_ts"] = event.ts.isoformat()
        event = replace(event, ts=now, message=redactor.redact(event.message), data=data)
        self.history.add_safety(event)
        self.journal.record_safety(event)
        level = logging.INFO if event.severity is Severity.INFO else logging.WARNING
        log.log(level, "%s: %s", event.kind, event.message, extra=about(event.symbol))
        self.touch()
        if event.kind == SafetyKind.KILL_SWITCH_TRIGGER:
            self._on_kill_trigger(event)

    def update_account(self, ts: datetime) -> None:
        """Equity peak and start-of-day equity, sampled per candle and per fill."""
        self._account_sampled(self.core.track_account(ts))

    def _account_sampled(self, new_day: bool) -> None:
        if new_day:  # a restart carries on with this day's loss limit
            self.journal.set_meta(DAY_START_KEY, self.core.account.as_meta())
        self.touch()

    # --- execution engine listener -------------------------------------------------
    def on_decision(self, decision: GateDecision) -> None:
        if decision.approved:
            return
        self.core.on_refused(decision.intent)
        severity = Severity.INFO if decision.stage == "idempotency" else Severity.WARNING
        self.record_safety(
            SafetyEvent(
                self.clock.now(),
                severity,
                SafetyKind.RISK_REJECTED,
                f"{decision.intent.purpose} {decision.intent.side} {decision.intent.symbol} "
                f"refused at {decision.stage}: {decision.reason}",
                symbol=decision.intent.symbol,
                data={"intent_id": decision.intent.intent_id, "stage": decision.stage},
            )
        )

    def on_order(self, order: Order) -> None:
        self._report_order(self.core.on_order_outcome(order))

    def on_broker_failure(self, source: str, error: str) -> None:
        self.count_failure(source, error)

    def on_intent_failed(self, intent: OrderIntent, reason: str) -> None:
        """Approved but never sent: free the symbol and re-arm its exits, loudly."""
        self.core.on_refused(intent)
        self.record_safety(
            SafetyEvent(
                self.clock.now(),
                Severity.WARNING,
                SafetyKind.ORDER_FAILED,
                f"{intent.purpose} {intent.side} {intent.symbol} not sent: {reason}",
                symbol=intent.symbol,
            )
        )

    def on_broker_success(self) -> None:
        self.machine.record_success()
        self.core.parts.anomaly.record_success("broker")

    # --- broker events ----------------------------------------------------------------
    def on_broker_event(self, event: BrokerEvent) -> None:
        if isinstance(event, Fill):
            self._apply_fill(event)
        else:
            self._report_order(self.core.on_order_update(event))

    def _report_order(self, reaction: OrderReaction) -> None:
        """The edge work of an order update the core applied: journal, report, repaint."""
        if not reaction.applied:
            return  # a late update: a newer or final state is already known
        order = reaction.order
        self.journal.record_order(order, self.account_tag)
        if reaction.rejected:
            self.record_safety(
                SafetyEvent(
                    order.updated_at,
                    Severity.WARNING,
                    SafetyKind.ORDER_REJECTED,
                    f"{order.side} {order.symbol} {order.client_order_id} rejected: {order.reason}",
                    symbol=order.symbol,
                )
            )
        self.touch()

    def _apply_fill(self, fill: Fill) -> None:
        exits = self.core.parts.exits
        planned = exits.plan(fill.symbol) is not None
        reaction = self.core.on_fill(fill)
        if planned:  # how far the decision's position got, or that it is over
            save_plan(self.journal, fill.symbol, exits.progress(reaction.position))
        self.history.fills.appendleft(fill)
        self.journal.record_fill(fill, self.account_tag)
        self.books_changed = True  # snapshot journaled by housekeeping, at most 1/s
        self._account_sampled(reaction.new_day)

    # --- another account, funding ---------------------------------------------------
    def adopt_account(
        self, portfolio: Portfolio, open_orders: Iterable[Order], account_tag: str, now: datetime
    ) -> None:
        """Trade this account from now on, journaled under `account_tag`, with its own
        start of day."""
        self.account_tag = account_tag
        self.core.adopt_portfolio(portfolio, open_orders)
        self.update_account(now)

    def book_charge(self, fee: FundingFee | VenueFee) -> bool:
        """Book and journal a funding settlement or a venue's charge; False when booked
        already."""
        portfolio = self.core.parts.portfolio
        if isinstance(fee, FundingFee):
            if not portfolio.apply_funding(fee):
                return False
            self.journal.record_funding(fee)
        else:
            if not portfolio.apply_venue_fee(fee):
                return False
            self.journal.record_venue_fee(fee)
        self.books_changed = True
        return True

    def journal_state_snapshot(self) -> None:
        self.books_changed = False
        portfolio = self.core.parts.portfolio
        now = self.clock.now()
        self.journal.record_balances(now, portfolio.balances(), portfolio.equity())
        self.journal.record_positions(now, [p for p in portfolio.positions.values() if p.is_open])
        self.journal.set_meta(MARKET_TIME_KEY, now.isoformat())

    # --- failures ---------------------------------------------------------------------
    def on_journal_health(self, writable: bool, detail: str) -> None:
        """Entries stop the moment a durable write fails (one CRITICAL event, not one per
        retry); exits keep trying. Entries reopen when it writes again, if nothing else
        holds them."""
        now = self.wall_clock.now()
        if not writable:
            self.core.state.hold(
                HoldReason.JOURNAL_FAILED, TradingMode.REDUCING, detail[:200], "journal"
            )
            self.record_safety(
                SafetyEvent(
                    now,
                    Severity.CRITICAL,
                    SafetyKind.JOURNAL_FAILED,
                    f"journal cannot write: {detail}; new entries stopped, exits still tried",
                )
            )
            return
        self.core.state.release(HoldReason.JOURNAL_FAILED, "journal")
        self.record_safety(
            SafetyEvent(now, Severity.INFO, SafetyKind.JOURNAL_RECOVERED, "journal writes again")
        )

    def count_failure(self, source: str, error: str) -> None:
        if self.machine.record_failure(error):  # ERROR: the trading state follows
            self.record_safety(
                SafetyEvent(
                    self.clock.now(),
                    Severity.CRITICAL,
                    SafetyKind.ENGINE_ERROR,
                    f"engine in ERROR after {self.machine.consecutive_failures} failures: {error}",
                )
            )
        trigger = self.core.parts.anomaly.record_failure(source, error, self.clock.now())
        if trigger is not None:
            self.record_safety(trigger)
        self.touch()
