"""Prometheus metrics of a running trader, in their own CollectorRegistry (never the
global one, so two traders in one test process do not collide).

Counters move by diffing consecutive snapshots (`update`); market events and processing
time come from `MeteredFeed`, which wraps the trader's feed."""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from tui_trader.clock import Clock
from tui_trader.domain.enums import EngineState
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.market import Candle, Tick
from tui_trader.ops.snapshot_diff import new_safety_events, order_changes
from tui_trader.snapshot import TraderSnapshot

log = logging.getLogger("tui_trader.ops.metrics")

# Handling one event in the core takes tens of microseconds; the top buckets catch stalls.
LATENCY_BUCKETS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


def feed_age_s(last_event_at: datetime | None, now: datetime) -> float | None:
    if last_event_at is None:
        return None
    return max((now - last_event_at).total_seconds(), 0.0)


class TraderMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Counter(
            "tui_trader_market_events", "Market events received", ["kind"], registry=r
        )
        self.latency = Histogram(
            "tui_trader_event_processing_seconds",
            "Time the trader spent on one market event",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.reconnects = Counter("tui_trader_feed_reconnects", "Feed reconnects", registry=r)
        self.orders = Counter(
            "tui_trader_orders", "Order status changes seen", ["status"], registry=r
        )
        self.rejections = Counter(
            "tui_trader_risk_rejections", "Intents refused by the gate", ["reason"], registry=r
        )
        self.safety = Counter(
            "tui_trader_safety_events", "Safety events", ["severity", "kind"], registry=r
        )
        self.open_orders = Gauge("tui_trader_open_orders", "Open orders", registry=r)
        self.equity = Gauge("tui_trader_equity", "Account equity", ["quote"], registry=r)
        self.unrealized = Gauge(
            "tui_trader_unrealized_pnl", "Unrealized PnL per open position", ["symbol"], registry=r
        )
        self.kill_switch = Gauge("tui_trader_kill_switch_active", "1 when killed", registry=r)
        self.engine_state = Gauge(
            "tui_trader_engine_state", "1 for the current engine state", ["state"], registry=r
        )
        self.errors = Counter(
            "tui_trader_errors", "ERROR log lines, by component", ["component"], registry=r
        )
        self.signals = Counter(
            "tui_trader_signals_generated",
            "Signals the strategies emitted",
            ["symbol", "action"],
            registry=r,
        )
        self.strategy_time = Histogram(
            "tui_trader_strategy_execution_seconds",
            "Time the core spent on one closed candle (indicators, strategies, risk)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.service_up = Gauge("tui_trader_service_up", "1 while the trader runs", registry=r)
        self.service_up.set(1)
        self.started_at = time.monotonic()
        self.feed_age = Gauge(
            "tui_trader_feed_age_seconds",
            "Seconds since the feed's last event",
            ["feed"],
            registry=r,
        )
        self.order_stream = Gauge(
            "tui_trader_order_stream_streaming",
            "1 while fills arrive by the venue's order stream, 0 while polled or reconnecting",
            ["venue"],
            registry=r,
        )
        self._last: TraderSnapshot | None = None

    # --- from the feed --------------------------------------------------------------
    def count_event(self, event: Tick | Candle) -> None:
        self.events.labels("tick" if isinstance(event, Tick) else "candle").inc()

    def observe_processing(self, seconds: float, candle: bool = False) -> None:
        """`candle`: a closed candle, where the strategies run."""
        self.latency.observe(seconds)
        if candle:
            self.strategy_time.observe(seconds)

    # --- from the trader ------------------------------------------------------------
    def count_signal(self, symbol: str, action: str) -> None:
        self.signals.labels(symbol, action).inc()

    def count_error(self, component: str) -> None:
        self.errors.labels(component).inc()

    def uptime_s(self) -> float:
        return time.monotonic() - self.started_at

    # --- from snapshots -------------------------------------------------------------
    def update(self, snap: TraderSnapshot, now: datetime) -> None:
        """Fold one snapshot in; equal versions change nothing but the feed ages."""
        self._feed_ages(snap, now)
        if self._last is not None and self._last.version == snap.version:
            return
        for order in order_changes(self._last, snap):
            self.orders.labels(order.status.value).inc()
        for event in new_safety_events(self._last, snap):
            self.safety.labels(event.severity.value, event.kind).inc()
            if event.kind == SafetyKind.RISK_REJECTED:
                reason = event.data.get("check") or event.data.get("stage") or "unknown"
                self.rejections.labels(str(reason)).inc()
            elif event.kind == SafetyKind.FEED_RECONNECT:
                self.reconnects.inc()
        self._gauges(snap)
        self._last = snap

    def _gauges(self, snap: TraderSnapshot) -> None:
        self.open_orders.set(len(snap.open_orders))
        self.equity.labels(snap.account.quote_asset).set(float(snap.account.equity))
        self.unrealized.clear()  # closed positions must disappear, not linger at old values
        for view in snap.positions:
            position = view.position
            self.unrealized.labels(position.symbol).set(float(position.unrealized_pnl))
        self.kill_switch.set(1 if snap.kill_switch_active else 0)
        for state in EngineState:
            self.engine_state.labels(state.value).set(1 if snap.engine_state is state else 0)
        self.order_stream.clear()  # a venue left (back to paper) must not linger
        for stream in snap.order_streams:
            self.order_stream.labels(stream.venue).set(1 if stream.state == "streaming" else 0)

    def _feed_ages(self, snap: TraderSnapshot, now: datetime) -> None:
        for feed in snap.feeds:
            age = feed_age_s(feed.last_event_at, now)
            if age is not None:
                self.feed_age.labels(feed.name).set(age)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def run(
        self, source: Callable[[], TraderSnapshot], clock: Clock, poll_s: float = 1.0
    ) -> None:
        """The metrics edge task: fold snapshots in between scrapes so that counters see
        every change, not only those still in the snapshot at scrape time."""
        while True:
            try:
                self.update(source(), clock.now())
            except Exception:
                log.exception("metrics update failed")
            await asyncio.sleep(poll_s)
