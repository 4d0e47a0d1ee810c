"""What gets notified, decided by diffing consecutive trader snapshots (`observe`), plus a
daily summary at 00:00 UTC. The trader needs no hooks: the notifier polls `snapshot()`.

Notified: engine state changes, the kill switch, errors, new BUY/SELL signals, filled
and rejected orders, and safety events at or above the severity threshold. Kill switch,
engine and order events are said once, by their own diff, not again as safety events."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from tui_trader.clock import Clock, utc_day_start
from tui_trader.domain.enums import EngineState, OrderStatus, Severity, SignalAction
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.orders import Fill
from tui_trader.notify import format as fmt
from tui_trader.ops.snapshot_diff import new_safety_events, order_changes
from tui_trader.snapshot import TraderSnapshot

log = logging.getLogger("tui_trader.notify")

RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
# Safety kinds another diff already reports (order rejected, kill switch, engine ERROR,
# a failed worker whose error is the snapshot's last_error), or that restate events of
# their own (a trading state change follows a kill, a reconciliation, a journal failure).
SAID_ELSEWHERE = frozenset(
    {
        SafetyKind.ORDER_REJECTED,
        SafetyKind.KILL_SWITCH,
        SafetyKind.ENGINE_ERROR,
        SafetyKind.WORKER_FAILED,
        SafetyKind.TRADING_STATE,
    }
)
_SIGNALS = frozenset({SignalAction.BUY.value, SignalAction.SELL.value})


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str  # engine | kill_switch | error | signal | order | safety | summary
    text: str


class Sink(Protocol):
    def submit(self, text: str) -> None: ...


class FillSource(Protocol):
    async def fills(self, since: datetime | None = None) -> list[Fill]: ...


def observe(
    before: TraderSnapshot | None,
    after: TraderSnapshot,
    *,
    min_severity: Severity = Severity.WARNING,
    signals: bool = True,
) -> list[Notice]:
    """Notices for what changed from `before` to `after`; none for the first snapshot
    (history that happened before we watched is not news)."""
    if before is None or before.version == after.version:
        return []
    found = _engine(before, after) + _kill(before, after) + _error(before, after)
    if signals:
        found += _signals(before, after)
    found += _orders(before, after) + _safety(before, after, min_severity)
    return [Notice(n.kind, f"[{after.mode}] {n.text}") for n in found]


def _engine(before: TraderSnapshot, after: TraderSnapshot) -> list[Notice]:
    if before.engine_state is after.engine_state:
        return []
    text = f"engine {before.engine_state} → {after.engine_state}"
    if after.engine_state is EngineState.ERROR and after.last_error:
        text += f" (last error: {after.last_error})"
    return [Notice("engine", text)]


def _kill(before: TraderSnapshot, after: TraderSnapshot) -> list[Notice]:
    if before.kill_switch_active == after.kill_switch_active:
        return []
    if after.kill_switch_active:
        return [Notice("kill_switch", f"KILL SWITCH ACTIVE: {after.kill_reason}")]
    return [Notice("kill_switch", "kill switch cleared")]


def _error(before: TraderSnapshot, after: TraderSnapshot) -> list[Notice]:
    new_error = after.last_error and after.last_error != before.last_error
    entered_error = (
        after.engine_state is EngineState.ERROR and before.engine_state is not EngineState.ERROR
    )
    if not new_error or entered_error:
        return []
    return [Notice("error", f"error: {after.last_error}")]


def _signals(before: TraderSnapshot, after: TraderSnapshot) -> list[Notice]:
    previous = {view.symbol: view.signal for view in before.prices}
    return [
        Notice(
            "signal",
            f"signal {view.signal} {view.symbol} @ {view.last} "
            f"(confidence {view.signal_confidence:.2f})",
        )
        for view in after.prices
        if view.signal in _SIGNALS and previous.get(view.symbol) != view.signal
    ]


def _orders(before: TraderSnapshot, after: TraderSnapshot) -> list[Notice]:
    notices = []
    for order in order_changes(before, after):
        if order.status is OrderStatus.FILLED:
            notices.append(Notice("order", fmt.filled_line(order)))
        elif order.status is OrderStatus.REJECTED:
            notices.append(Notice("order", fmt.rejected_line(order)))
    return notices


def _safety(before: TraderSnapshot, after: TraderSnapshot, floor: Severity) -> list[Notice]:
    return [
        Notice("safety", fmt.safety_line(event))
        for event in new_safety_events(before, after)
        if RANK[event.severity] >= RANK[floor] and event.kind not in SAID_ELSEWHERE
    ]


class Notifier:
    """Polls snapshots, submits notices to every channel, sends the daily summary."""

    def __init__(
        self,
        sinks: Sequence[Sink],
        clock: Clock,
        *,
        min_severity: Severity = Severity.WARNING,
        signals: bool = True,
        daily_summary: bool = True,
        fills: FillSource | None = None,
    ) -> None:
        self._sinks = list(sinks)
        self._clock = clock
        self._min_severity = min_severity
        self._signals = signals
        self._daily_summary = daily_summary
        self._fills = fills
        self._last: TraderSnapshot | None = None
        self._baseline: tuple[datetime, Decimal] | None = None  # summary start, equity
        self._next_summary = utc_day_start(clock.now()) + timedelta(days=1)

    def send(self, text: str) -> None:
        for sink in self._sinks:
            sink.submit(text)

    async def step(self, snap: TraderSnapshot) -> None:
        for notice in observe(
            self._last, snap, min_severity=self._min_severity, signals=self._signals
        ):
            self.send(notice.text)
        self._last = snap
        if self._baseline is None:
            self._baseline = (self._clock.now(), snap.account.equity)
        now = self._clock.now()
        if now >= self._next_summary:
            self._next_summary = utc_day_start(now) + timedelta(days=1)
            if self._daily_summary:
                await self._summary(snap, utc_day_start(now))

    async def _summary(self, snap: TraderSnapshot, day_end: datetime) -> None:
        since, start_equity = self._baseline or (day_end, snap.account.equity)
        day_start = day_end - timedelta(days=1)
        fills = await self._count_fills(snap, day_start, day_end)
        self.send(fmt.summary_text(day_start, snap, since, start_equity, fills))
        self._baseline = (self._clock.now(), snap.account.equity)

    async def _count_fills(self, snap: TraderSnapshot, start: datetime, end: datetime) -> int:
        if self._fills is None:
            return sum(1 for f in snap.fills if start <= f.ts < end)
        return sum(1 for f in await self._fills.fills(since=start) if f.ts < end)

    async def run(self, source: Callable[[], TraderSnapshot], poll_s: float = 0.5) -> None:
        """The notifier's edge task; a failing step is logged, never raised."""
        while True:
            try:
                await self.step(source())
            except Exception:
                log.exception("notifier step failed")
            await asyncio.sleep(poll_s)
