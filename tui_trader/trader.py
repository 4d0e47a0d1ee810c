"""The trader: wires the core to a feed, a broker and the journal, and owns the
start/stop/kill/reset lifecycle. Front ends (TUI, headless, Telegram) use only its command
API (`TraderCommands`) and `snapshot()`; the edge tasks run under whoever hosts them."""

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from tui_trader.brokers.paper import PaperBroker
from tui_trader.clock import Clock, SimulatedClock, utc_day_start
from tui_trader.config import Settings
from tui_trader.core import CoreOutputs, TradingCore
from tui_trader.domain.enums import EngineState, IntentPurpose, Severity
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import Signal
from tui_trader.execution.commands import CancelRequest
from tui_trader.execution.engine import ExecutionEngine
from tui_trader.execution.gate import OrderGate
from tui_trader.journal.store import Journal
from tui_trader.market.feed import FeedError, MarketFeed
from tui_trader.risk.context import RiskContext
from tui_trader.safety.kill_switch import KillState, KillSwitch
from tui_trader.safety.state_machine import EngineStateMachine, InvalidTransition
from tui_trader.snapshot import FeedStatus, LiveCheck, TraderSnapshot
from tui_trader.trader_events import TraderEvents
from tui_trader.views import AccountTracker, History, build_snapshot, mode_label

log = logging.getLogger("tui_trader.trader")

LIVE_PHRASE = "I_UNDERSTAND_LIVE_TRADING"
LIVE_TOKEN_FILE = "LIVE_TOKEN"
MARKET_TIME_KEY = "market_time"
KILL_POLL_S = 0.2
HOUSEKEEPING_S = 1.0
SNAPSHOT_JOURNAL_S = 10.0

EdgeTask = tuple[str, Callable[[], Awaitable[None]]]


@dataclass(slots=True)
class TraderParts:
    settings: Settings
    core: TradingCore
    gate: OrderGate
    broker: PaperBroker
    feed: MarketFeed
    journal: Journal
    kill_switch: KillSwitch
    machine: EngineStateMachine
    market_clock: SimulatedClock
    wall_clock: Clock
    safety_relay: "SafetyRelay"
    # Rebuilds the feed to resume at a given market time (the simulated market after a
    # restart); None for feeds that carry their own time (replay, exchange).
    resume_feed: Callable[[datetime], MarketFeed] | None = None


class SafetyRelay:
    """Lets parts built before the trader (feeds) report safety events to it."""

    def __init__(self) -> None:
        self.target: Callable[[SafetyEvent], None] = lambda _event: None

    def __call__(self, event: SafetyEvent) -> None:
        self.target(event)


class Trader(TraderEvents):
    def __init__(self, parts: TraderParts) -> None:
        super().__init__(parts.core, parts.journal, parts.machine, parts.market_clock)
        self.p = parts
        self.settings = parts.settings
        self.engine = ExecutionEngine(
            parts.gate, parts.journal, parts.broker, self.risk_context, self, parts.market_clock
        )
        parts.core.out = CoreOutputs(safety=self.record_safety, signal=self._on_signal)
        parts.safety_relay.target = self.record_safety
        self.account = AccountTracker()
        self.history = History()
        self.feed_finished = asyncio.Event()
        self.feed_error = ""
        self.all_symbols_candled = asyncio.Event()  # every symbol has one closed candle
        self.run_id = 0
        self._snapshot: TraderSnapshot | None = None
        self._since_journal_snapshot = 0.0
        parts.broker.subscribe(self.on_broker_event)

    # --- lifecycle ------------------------------------------------------------------
    async def open(self) -> None:
        """Open the journal, restore the account and reconcile before anything is sent."""
        from tui_trader.execution.idempotency import IdempotencyGuard
        from tui_trader.restore import reconcile_unfinished, restore_paper

        await self.p.journal.open()
        self.p.gate.guard = IdempotencyGuard(await self.p.journal.known_client_order_ids())
        day_start = await restore_paper(self.p.journal, self.p.broker, self.core, self.settings)
        if day_start is not None:
            self.account.day, self.account.day_start = day_start
        await self._resume_market_time()
        now = self.p.wall_clock.now()
        for event in await reconcile_unfinished(self.p.journal, self.p.broker, self.on_order, now):
            self.record_safety(event)
        kill = self.p.kill_switch.read()
        if kill is not None:
            self._apply_kill(kill, announce=False)
        self.run_id = await self.p.journal.start_run(
            mode=self.settings.trading_mode,
            market=self.settings.market_type.value,
            feed=self.p.feed.name,
            started_at=now,
            pid=os.getpid(),
        )

    async def _resume_market_time(self) -> None:
        """Market time never runs backwards across a restart: an accelerated demo may have
        run ahead of the wall clock, and journaled orders carry that time."""
        stored = await self.p.journal.get_meta(MARKET_TIME_KEY)
        times = [order.updated_at for order in await self.p.journal.orders(limit=50)]
        if stored is not None:
            times.append(datetime.fromisoformat(stored))
        if not times:
            return
        reached = max(times)
        if reached > self.p.market_clock.now() and self.p.resume_feed is not None:
            self.p.market_clock.set(reached)
            self.p.feed = self.p.resume_feed(reached)

    async def close(self) -> None:
        """Graceful shutdown: stop trading (positions kept), flush and close the journal."""
        if self.p.machine.state is EngineState.RUNNING:
            await self.stop()
        await self.p.feed.close()
        await self.p.broker.close()
        self.journal_state_snapshot()
        self.p.journal.end_run(self.run_id, self.p.wall_clock.now(), self.p.machine.state.value)
        await self.p.journal.close()

    def edge_tasks(self) -> list[EdgeTask]:
        return [
            ("feed", self._feed_loop),
            ("execution", self.engine.run),
            ("kill-watch", self._watch_kill_switch),
            ("housekeeping", self._housekeeping),
        ]

    def worker_failed(self, name: str, error: BaseException) -> None:
        """A hosted edge task died: never silently. Record it and count it as a failure."""
        message = f"worker {name} failed: {type(error).__name__}: {error}"
        log.error(message)
        self.record_safety(
            SafetyEvent(self.p.wall_clock.now(), Severity.CRITICAL, "worker_failed", message)
        )
        self.count_failure(name, message)

    # --- edge tasks ----------------------------------------------------------------
    async def _feed_loop(self) -> None:
        try:
            async for event in self.p.feed.events():
                self.on_market_event(event)
        except FeedError as exc:
            # Bad input (a malformed CSV line, an unusable exchange): say so plainly, keep
            # everything journaled so far, and let the host decide whether to go on.
            self.feed_error = str(exc)
            self.record_safety(
                SafetyEvent(self.p.wall_clock.now(), Severity.CRITICAL, "feed_error", str(exc))
            )
        finally:
            self.feed_finished.set()

    def on_market_event(self, event: Tick | Candle) -> None:
        ts = event.ts if isinstance(event, Tick) else event.close_time
        self.p.market_clock.set(ts)
        self.p.broker.on_market_event(event)
        try:
            commands = self.core.on_event(event)
        except Exception as exc:  # strategy or indicator bug: contain it, count it
            log.exception("core failed on %s", event)
            self.count_failure("core", f"{type(exc).__name__}: {exc}")
            return
        for command in commands:
            self.engine.submit(command)
        if isinstance(event, Candle) and not self.all_symbols_candled.is_set():
            self._check_all_candled()
        if isinstance(event, Candle):
            self.update_account(ts)
        self.touch()

    def update_account(self, ts: datetime) -> None:
        """Equity peak and start-of-day equity, sampled per candle and per fill (marking
        the whole portfolio on every tick would cost more than the rest of the tick)."""
        if self.account.update(self.core.parts.portfolio.equity(), utc_day_start(ts)):
            day = self.account.day.isoformat() if self.account.day else ""
            self.p.journal.set_meta("day_start", f"{day}|{self.account.day_start}")
        self.touch()

    def _check_all_candled(self) -> None:
        if all(s.last_candle for s in self.core.parts.market.symbols.values()):
            self.all_symbols_candled.set()

    async def _watch_kill_switch(self) -> None:
        """Another process (tui-trader kill) may write the kill file at any time."""
        while True:
            state = self.p.kill_switch.read()
            if state is not None and self.p.gate.kill is None:
                self._apply_kill(state, announce=True)
            elif state is None and self.p.gate.kill is not None:
                self._kill_cleared()
            await asyncio.sleep(KILL_POLL_S)

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            self._since_journal_snapshot += HOUSEKEEPING_S
            if self.books_changed or self._since_journal_snapshot >= SNAPSHOT_JOURNAL_S:
                self._since_journal_snapshot = 0.0
                self.journal_state_snapshot()
                await self._check_balances()

    async def _check_balances(self) -> None:
        expected = {a: b.total for a, b in self.core.parts.portfolio.balances().items()}
        actual = {a: b.total for a, b in (await self.p.broker.balances()).items()}
        anomaly = self.core.parts.anomaly
        for event in anomaly.check_balances(expected, actual, self.p.market_clock.now()):
            self.record_safety(event)

    def _on_signal(self, signal: Signal) -> None:
        self.p.journal.record_event(
            "decisions",
            "signal",
            {
                "symbol": signal.symbol,
                "action": signal.action.value,
                "reason": signal.reason,
                "confidence": signal.confidence,
                "price": str(signal.price),
                "ts": signal.ts.isoformat(),
            },
        )

    def on_kill_trigger(self, event: SafetyEvent) -> None:
        state = self.p.kill_switch.activate(self.p.wall_clock.now(), "anomaly", event.message)
        self._apply_kill(state, announce=True)

    # --- commands (TraderCommands) ------------------------------------------------
    def snapshot(self) -> TraderSnapshot:
        if self._snapshot is None or self._snapshot.version != self.version:
            self._snapshot = build_snapshot(
                ts=self.p.wall_clock.now(),
                mode=mode_label(self.settings, live=False),
                settings=self.settings,
                engine_state=self.p.machine.state,
                kill_reason=_kill_text(self.p.gate.kill),
                feeds=(self.feed_status(),),
                market=self.core.parts.market,
                signals=self.core.last_signals,
                portfolio=self.core.parts.portfolio,
                exits=self.core.parts.exits,
                orders=self.core.parts.orders,
                account=self.account,
                history=self.history,
                last_error=self.p.machine.last_error,
                version=self.version,
            )
        return self._snapshot

    def feed_status(self) -> FeedStatus:
        status = getattr(self.p.feed, "status", None)
        if callable(status):
            result: FeedStatus = status()
            return result
        interval = 60 / max(self.settings.sim_ticks_per_candle, 1)
        return FeedStatus(
            name=self.p.feed.name,
            connected=not self.feed_finished.is_set(),
            last_event_at=self.core.parts.market.last_event_at,
            stale_after_s=3 * interval / self.settings.sim_speed,
            detail="finished" if self.feed_finished.is_set() else "",
        )

    async def start(self) -> None:
        if self.p.gate.kill is not None:
            raise ValueError("kill switch is active; clear it with `tui-trader kill --clear --yes`")
        try:
            self.p.machine.start()
        except InvalidTransition as exc:
            raise ValueError(str(exc)) from None
        self.core.entries_enabled = True
        self.touch()

    async def stop(self, flatten: bool = False) -> None:
        """Stop trading: no new entries, open entry orders cancelled, positions kept
        (or closed when `flatten`). Protective exits stay armed while positions exist."""
        try:
            self.p.machine.begin_stop()
        except InvalidTransition as exc:
            raise ValueError(str(exc)) from None
        self.core.entries_enabled = False
        for order in self.core.parts.orders.open_orders():
            if order.purpose is IntentPurpose.ENTRY:
                self.engine.submit(CancelRequest(order.client_order_id, "engine stopping"))
        if flatten:
            self._flatten(IntentPurpose.FLATTEN)
        await self.engine.drain()
        self.p.machine.finish_stop()
        self.touch()

    async def reset(self) -> None:
        try:
            self.p.machine.reset()
        except InvalidTransition as exc:
            raise ValueError(str(exc)) from None
        self.touch()

    async def kill(self, close_positions: bool = False, source: str = "operator") -> None:
        state = self.p.kill_switch.activate(
            self.p.wall_clock.now(), source, "kill switch pressed", close_positions
        )
        self._apply_kill(state, announce=True)
        await self.engine.drain()

    async def close_position(self, symbol: str) -> None:
        if not self._flatten(IntentPurpose.MANUAL_CLOSE, only=symbol):
            raise ValueError(f"no open position in {symbol}")

    async def cancel_order(self, client_order_id: str) -> None:
        if self.core.parts.orders.get(client_order_id) is None:
            raise ValueError(f"no open order {client_order_id}")
        self.engine.submit(CancelRequest(client_order_id, "cancelled by operator"))

    def live_check(self) -> LiveCheck:
        token = (self.settings.data_path / LIVE_TOKEN_FILE).exists()
        detail = "" if token else f"create {self.settings.data_path / LIVE_TOKEN_FILE} first"
        return LiveCheck(
            token_file_present=token,
            keys_in_keyring=False,
            detail=detail or "no Binance keys in the keyring: run `tui-trader keys set binance`",
        )

    async def enable_live(self, phrase: str) -> None:
        if phrase != LIVE_PHRASE:
            raise ValueError(f"live mode refused: the phrase must be exactly {LIVE_PHRASE}")
        check = self.live_check()
        if not check.ready:
            raise ValueError(f"live mode refused: {check.detail}")
        raise ValueError("live mode refused: this build has no live broker configured")

    # --- kill switch ----------------------------------------------------------------
    def _apply_kill(self, state: KillState, announce: bool) -> None:
        self.p.gate.kill = state
        self.core.entries_enabled = False
        self.core.exits_enabled = False
        if self.p.machine.state is EngineState.RUNNING:
            self.p.machine.begin_stop()
            self.p.machine.finish_stop()
        for order in self.core.parts.orders.open_orders():
            self.engine.submit(CancelRequest(order.client_order_id, "kill switch"))
        if state.close_positions:
            self._flatten(IntentPurpose.FLATTEN)
        severity = Severity.CRITICAL if announce else Severity.WARNING
        verb = "activated" if announce else "still active from an earlier run"
        self.record_safety(
            SafetyEvent(
                self.p.wall_clock.now(),
                severity,
                "kill_switch",
                f"kill switch {verb} by {state.source}: {state.reason}"
                + ("; closing positions" if state.close_positions else ""),
            )
        )

    def _kill_cleared(self) -> None:
        self.p.gate.kill = None
        self.core.exits_enabled = True
        self.record_safety(
            SafetyEvent(
                self.p.wall_clock.now(), Severity.INFO, "kill_switch", "kill switch cleared"
            )
        )

    def _flatten(self, purpose: IntentPurpose, only: str | None = None) -> bool:
        parts = self.core.parts
        sent = False
        for symbol, position in list(parts.portfolio.positions.items()):
            if not position.is_open or (only is not None and symbol != only):
                continue
            intent = parts.exits.flatten_intent(
                position,
                parts.market.price(symbol),
                parts.rules[symbol],
                purpose,
                self.p.market_clock.now(),
            )
            if intent is None:  # dust below the step size: nothing to send
                continue
            # An exit already working would make the close an oversell: cancel it first
            # (the engine handles commands in order, so the cancel lands before the close).
            for order in parts.orders.open_for(symbol):
                if order.purpose.is_exit:
                    self.engine.submit(CancelRequest(order.client_order_id, purpose.value))
            self.engine.submit(intent)
            sent = True
        return sent

    # --- risk context -----------------------------------------------------------------
    def risk_context(self, _intent: object) -> RiskContext:
        parts = self.core.parts
        return RiskContext(
            now=self.p.market_clock.now(),
            equity=parts.portfolio.equity(),
            day_start_equity=self.account.day_start or parts.portfolio.equity(),
            positions=parts.portfolio.positions,
            open_orders=parts.orders.open_orders(),
            reference_prices=parts.market.prices(),
            rules=parts.rules,
            breaker_tripped=parts.breaker.tripped,
            leverage=self.settings.max_leverage,
            market=self.settings.market_type,
        )


def _kill_text(state: KillState | None) -> str | None:
    if state is None:
        return None
    return f"{state.source}: {state.reason}"
