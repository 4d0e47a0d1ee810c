"""The trader: wires the core to a feed, a broker and the journal, and owns the
start/stop/kill/reset lifecycle. Front ends (TUI, headless, Telegram) use only its command
API (`TraderCommands`) and `snapshot()`; the edge tasks run under whoever hosts them."""

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from tui_trader.core.ledger import Portfolio
from tui_trader.core.trading_core import CoreOutputs
from tui_trader.domain.enums import EngineState, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import Order, OrderIntent
from tui_trader.domain.portfolio import FundingFee, VenueFee
from tui_trader.domain.rules import SymbolRules
from tui_trader.execution.broker import Broker
from tui_trader.execution.commands import EngineCommand, ExecutionCommand
from tui_trader.market.feed import FeedError, MarketFeed
from tui_trader.risk.context import RiskContext
from tui_trader.runtime.decision_log import DecisionLog
from tui_trader.runtime.exchange_link import ExchangeLink
from tui_trader.runtime.execution_engine import ExecutionEngine, Mirror
from tui_trader.runtime.housekeeping import Housekeeping
from tui_trader.runtime.plan_store import restore_plans
from tui_trader.runtime.restore import market_time_reached, reconcile_unfinished, restore_paper
from tui_trader.runtime.trader_controls import OperatorCommands, kill_text, kill_view
from tui_trader.runtime.trader_events import Reactions
from tui_trader.runtime.trader_parts import TraderParts
from tui_trader.runtime.views import History, build_snapshot, feed_view
from tui_trader.safety.kill_switch import KillState
from tui_trader.snapshot import FeedStatus, TraderSnapshot

if TYPE_CHECKING:
    from tui_trader.ops.metrics import TraderMetrics
    from tui_trader.runtime.advice_link import AdviceLink
    from tui_trader.runtime.core_parts import MarketParts
    from tui_trader.runtime.ops_tasks import OpsRuntime

log = logging.getLogger("tui_trader.runtime.trader")


EdgeTask = tuple[str, Callable[[], Awaitable[None]]]


class Trader:
    def __init__(self, parts: TraderParts) -> None:
        self.parts = parts
        self.settings, self.core, self.journal = parts.settings, parts.core, parts.journal
        self.wall_clock, self.market_clock = parts.wall_clock, parts.market_clock
        self.history = History()
        self.reactions = reactions = Reactions(
            parts.core,
            parts.journal,
            parts.machine,
            parts.market_clock,
            parts.wall_clock,
            self.history,
            on_kill_trigger=self._kill_triggered,
        )
        # What the front ends, the exchange link, the ops runtime and the broker call.
        self.record_safety, self.touch = reactions.record_safety, reactions.touch
        self.count_failure, self.update_account = reactions.count_failure, reactions.update_account
        self.on_broker_event = reactions.on_broker_event
        self.engine = ExecutionEngine(
            parts.gate,
            parts.journal,
            parts.broker,
            self.risk_context,
            reactions,
            parts.market_clock,
        )
        parts.safety_relay.connect(self.record_safety)
        self.advice: AdviceLink | None = None
        if parts.advice is not None:
            self.advice = parts.advice.link(self)
        decisions = DecisionLog(parts.journal, self.advice, parts.metrics)
        parts.core.connect(
            CoreOutputs(
                safety=self.record_safety, signal=decisions.signal, trigger=decisions.trigger
            )
        )
        self.exchange = ExchangeLink(self, parts.exchange)
        self.commands = OperatorCommands(
            settings=parts.settings,
            core=parts.core,
            engine=self.engine,
            machine=parts.machine,
            journal=parts.journal,
            kill_switch=parts.kill_switch,
            wall_clock=parts.wall_clock,
            go_live=self.exchange.go_live,
            record_safety=self.record_safety,
            touch=self.touch,
        )
        # The operator's commands (TraderCommands), carried out by OperatorCommands.
        c = self.commands
        self.start, self.stop, self.reset, self.kill = c.start, c.stop, c.reset, c.kill
        self.clear_kill, self.close_position = c.clear_kill, c.close_position
        self.cancel_order, self.live_check = c.cancel_order, c.live_check
        self.enable_live = c.enable_live
        self.housekeeping = Housekeeping(
            reactions=reactions,
            engine=self.engine,
            advice=self.advice,
            on_exchange_account=lambda: self.exchange.broker is not None,
            market_clock=parts.market_clock,
        )
        self.feed_finished = asyncio.Event()
        self.feed_error = ""
        self.llm_api_key: str | None = None
        self.ops: OpsRuntime | None = None  # built at open()
        self.all_symbols_candled = asyncio.Event()  # every symbol has one closed candle
        self.run_id = 0
        self._snapshot: TraderSnapshot | None = None
        parts.broker.subscribe(self.on_broker_event)

    # --- lifecycle ------------------------------------------------------------------
    async def open(self) -> None:
        """Open the journal, restore the account and reconcile before anything is sent.
        If any step fails, what was opened is closed again before the error goes on:
        the journal's threads alone would keep the process alive (invariant 9)."""
        try:
            await self._open()
        except BaseException:
            await self._close_after_failed_open()
            raise

    async def _close_after_failed_open(self) -> None:
        for part, close in (
            ("feed", self.parts.feed.close),
            ("broker", self.parts.broker.close),
            ("exchange", self.exchange.close),
            ("journal", self.parts.journal.close),
        ):
            try:
                await close()
            except Exception as exc:  # the failure that stopped open() is the one to tell
                log.info("closing the %s after a failed start: %s", part, exc)

    async def _open(self) -> None:
        await self.parts.journal.open()
        if self.parts.advice is not None:
            self.llm_api_key = await self.parts.advice.api_key(self.settings)
        await self.commands.check_keys()
        if self.parts.ops is not None:
            self.ops = await self.parts.ops.start(self, self.parts.metrics)
        self.parts.gate.remember_journaled(await self.parts.journal.known_client_order_ids())
        if not await self.exchange.open():
            day_start = await restore_paper(
                self.parts.journal, self.parts.broker, self.core, self.settings
            )
            if day_start is not None:
                self.core.account.restore(*day_start)
        await self._resume_market_time()
        now = self.parts.wall_clock.now()
        if not self.exchange.defers_unfinished:  # else asked of the live broker at go_live
            for event in await reconcile_unfinished(
                self.parts.journal, self.engine.broker, self.reactions.on_order, now
            ):
                self.record_safety(event)
        await self.exchange.reconcile("start")
        await restore_plans(self.parts.journal, self.core, self.record_safety, now)
        kill = self.parts.kill_switch.read()
        if kill is not None:
            self.commands.apply_kill(kill, announce=False)
        self.reactions.say_at_start()  # committed with the run record below
        self.run_id = await self.parts.journal.start_run(
            mode=self.exchange.run_mode,
            market=self.settings.market_type.value,
            feed=self.parts.feed.name + self.exchange.feed_note,
            started_at=now,
            pid=os.getpid(),
        )

    async def _resume_market_time(self) -> None:
        """Market time never runs backwards across a restart: an accelerated demo may have
        run ahead of the wall clock, and journaled orders carry that time."""
        reached = await market_time_reached(self.parts.journal)
        if reached is None:
            return
        if reached > self.parts.market_clock.now() and self.parts.resume_feed is not None:
            self.parts.market_clock.set(reached)
            self.parts.feed = self.parts.resume_feed(reached)

    async def close(self) -> None:
        """Graceful shutdown: stop trading (positions kept), flush and close the journal."""
        if self.parts.machine.state is EngineState.RUNNING:
            await self.stop()
        await self.engine.drain()  # an operator's queued close is sent, not dropped
        await self.commands.flat.close()
        await self.parts.feed.close()
        await self.parts.broker.close()
        await self.exchange.close()
        self.reactions.journal_state_snapshot()
        self.parts.journal.end_run(
            self.run_id, self.parts.wall_clock.now(), self.parts.machine.state.value
        )
        await self.parts.journal.close()

    def edge_tasks(self) -> list[EdgeTask]:
        tasks: list[EdgeTask] = [
            ("feed", self._feed_loop),
            ("execution", self.engine.run),
            ("kill-watch", self.commands.watch_kill_switch),
            ("housekeeping", self.housekeeping.run),
        ]
        if self.advice is not None:
            tasks.append(("llm", self.advice.run))
        if self.exchange.retry is not None:
            tasks.append(("exchange-retry", self.exchange.retry.run))
        if self.exchange.audit.enabled:
            tasks.append(("book-audit", self.exchange.audit.run))
        if self.exchange.setup is not None and self.settings.exchange_stops:
            tasks.append(("exchange-stops", self.exchange.guards.run))
        if self.ops is not None:
            tasks.extend(self.ops.tasks)
        return tasks

    def worker_failed(self, name: str, error: BaseException) -> None:
        """A hosted edge task died: never silently. Record it and count it as a failure."""
        message = f"worker {name} failed: {type(error).__name__}: {error}"
        log.error(message)
        self.record_safety(
            SafetyEvent(
                self.parts.wall_clock.now(), Severity.CRITICAL, SafetyKind.WORKER_FAILED, message
            )
        )
        self.count_failure(name, message)

    # --- edge tasks ----------------------------------------------------------------
    async def _feed_loop(self) -> None:
        try:
            while await self._follow(self.parts.feed):
                pass  # the feed was replaced (simulated market -> Binance): follow the new one
        except FeedError as exc:
            # Bad input (a malformed CSV line, an unusable exchange): say so plainly, keep
            # everything journaled so far, and let the host decide whether to go on.
            self.feed_error = str(exc)
            self.record_safety(
                SafetyEvent(
                    self.parts.wall_clock.now(), Severity.CRITICAL, SafetyKind.FEED_ERROR, str(exc)
                )
            )
        finally:
            self.feed_finished.set()

    async def _follow(self, feed: MarketFeed) -> bool:
        """Trade on `feed` until it ends; True when it ended because it was replaced."""
        async for event in feed.events():
            if feed is not self.parts.feed:
                break  # never act on the replaced feed's last events
            self.on_market_event(event)
            if not self.engine.queue.empty():
                # Decide on the next event knowing this one's orders went out: keeps a
                # fast replay identical to a backtest, and costs a live feed nothing (it
                # buffers frames while an order is in flight).
                await self.engine.drain()
        return feed is not self.parts.feed

    def on_market_event(self, event: Tick | Candle) -> None:
        ts = event.ts if isinstance(event, Tick) else event.close_time
        self.parts.market_clock.set(ts)
        self.parts.broker.on_market_event(event)
        if self.exchange.shadow is not None:  # paper measured against the venue
            self.exchange.shadow.on_market_event(event)
        try:
            commands = self.core.on_event(event)
        except Exception as exc:  # strategy or indicator bug: contain it, count it
            log.exception("core failed on %s", event)
            self.count_failure("core", f"{type(exc).__name__}: {exc}")
            return
        for command in commands:
            self._route(command)
        if isinstance(event, Candle) and not self.all_symbols_candled.is_set():
            self._check_all_candled()
        if isinstance(event, Candle):
            self.update_account(ts)
            self.history.add_candle(event, self.core.parts.portfolio.equity())
        self.touch()

    def _route(self, command: ExecutionCommand) -> None:
        """Everything goes to the engine, except entries the LLM gate/decide mode holds."""
        if isinstance(command, OrderIntent) and self.advice and self.advice.takes(command):
            return
        self.engine.submit(command)

    def _check_all_candled(self) -> None:
        if all(s.last_candle for s in self.core.parts.market.symbols.values()):
            self.all_symbols_candled.set()

    def _kill_triggered(self, event: SafetyEvent) -> None:
        self.commands.activate_kill("anomaly", event.message)

    @property
    def kill_state(self) -> KillState | None:
        return self.commands.kill_state

    @property
    def kill_unpersisted(self) -> bool:
        return self.commands.kill_unpersisted

    # --- what the front ends render -------------------------------------------------
    def snapshot(self) -> TraderSnapshot:
        version = self.reactions.version
        if self._snapshot is None or self._snapshot.version != version:
            self._snapshot = build_snapshot(
                ts=self.parts.wall_clock.now(),
                mode=self.exchange.mode,
                venue=self.exchange.venue_label,
                settings=self.settings,
                engine_state=self.parts.machine.state,
                kill_reason=kill_text(self.kill_state),
                kill=kill_view(self.kill_state),
                flat_proof=self.commands.flat.status(),
                trading=self.core.state,
                feeds=(self.feed_status(),),
                market=self.core.parts.market,
                signals=self.core.last_signals,
                portfolio=self.core.parts.portfolio,
                exits=self.core.parts.exits,
                exchange_stops=self.exchange.guards.stops(),
                divergence=self.exchange.divergence(),
                order_streams=self.exchange.order_streams(),
                orders=self.core.parts.orders,
                account=self.core.account,
                history=self._with_advice(),
                last_error=self.parts.machine.last_error,
                failures=self.parts.machine.consecutive_failures,
                version=version,
            )
        return self._snapshot

    def _with_advice(self) -> History:
        if self.advice is not None:
            self.advice.show_in(self.history, tuple(self.core.parts.market.symbols))
        return self.history

    def feed_status(self) -> FeedStatus:
        finished = self.feed_finished.is_set()
        return feed_view(
            self.parts.feed, self.exchange, finished, self.core.parts.market, self.settings
        )

    # --- the exchange link's port (trader_port.TraderPort) -----------------------------
    @property
    def metrics(self) -> "TraderMetrics | None":
        return self.parts.metrics

    @property
    def engine_running(self) -> bool:
        return self.parts.machine.state is EngineState.RUNNING

    @property
    def feed(self) -> MarketFeed:
        return self.parts.feed

    @property
    def broker(self) -> Broker:
        return self.engine.broker

    def send(self, command: EngineCommand) -> None:
        self.engine.submit(command)

    def use_shadow(self, shadow: Mirror) -> None:
        self.engine.use_mirror(shadow)

    def replace_feed(self, feed: MarketFeed) -> MarketFeed:
        previous = self.parts.feed
        self.parts.feed, self.parts.resume_feed = feed, None  # a venue's feed keeps its own time
        return previous

    def replace_broker(self, broker: Broker) -> Broker:
        broker.subscribe(self.on_broker_event)
        return self.engine.use_broker(broker)

    def adopt_account(
        self, portfolio: Portfolio, open_orders: Iterable[Order], account_tag: str
    ) -> None:
        now = self.parts.market_clock.now()
        self.reactions.adopt_account(portfolio, open_orders, account_tag, now)

    def reset_market_parts(self, parts: "MarketParts") -> None:
        self.core.replace_market_parts(**parts)

    def install_rules(self, rules: Mapping[str, SymbolRules]) -> None:
        self.core.install_rules(rules)

    def book_charge(self, fee: FundingFee | VenueFee) -> bool:
        return self.reactions.book_charge(fee)

    def record_run_venue(self) -> None:
        self.parts.journal.set_run_venue(self.run_id, self.parts.feed.name, self.exchange.run_mode)

    # --- risk context -----------------------------------------------------------------
    def risk_context(self, _intent: object) -> RiskContext:
        return self.core.risk_context(self.parts.market_clock.now(), self.settings.max_leverage)
