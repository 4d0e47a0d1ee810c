"""Keeps the exchange-side guards (domain/guards.py) in step with the trader's positions:
a stop for every open position, placed right after the entry fills, moved when the
trailing stop moves, cancelled when the position closes (plan: risk/guard_plan.py).

It only decides: every placement and cancel goes through the execution engine's queue
(the single writer), and what the venue answers comes back through the broker's guard
listener. At start it reads the guards the venue already holds and adopts ours by client
id, so a restart after a crash neither duplicates nor loosens them. A position left
without a working stop for UNPROTECTED_S is a safety event."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.clock import Clock
from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.guards import GuardKind, GuardOrder, GuardStatus, guard_client_id
from tui_trader.execution.broker import BrokerError, GuardVenue
from tui_trader.execution.commands import CancelGuard, EngineCommand, PlaceGuard
from tui_trader.risk.guard_plan import GuardTarget, guard_targets, plan_guards

log = logging.getLogger("tui_trader.runtime.guard_keeper")

CHECK_S = 1.0  # how often positions are compared with the guards held (no I/O when equal)
CONFIRM_S = 10.0  # a placement unanswered this long: ask the venue what it holds
UNPROTECTED_S = 30.0
REFUSED_PAUSE_S = 30.0  # after a refusal, the same guard is not asked for again at once


@dataclass(frozen=True, slots=True)
class GuardTiming:
    check_s: float = CHECK_S
    confirm_s: float = CONFIRM_S
    unprotected_s: float = UNPROTECTED_S
    refused_pause_s: float = REFUSED_PAUSE_S


class GuardKeeper:
    def __init__(
        self,
        core: TradingCore,
        venue: GuardVenue,
        submit: Callable[[EngineCommand], None],
        record: Callable[[SafetyEvent], None],
        clock: Clock,
        *,
        move_bps: Decimal,
        timing: GuardTiming | None = None,
    ) -> None:
        self._core, self._venue, self._submit, self._record = core, venue, submit, record
        self._clock, self._move_bps = clock, move_bps
        self._timing = timing or GuardTiming()
        self.held: dict[str, GuardOrder] = {}  # client id → working guard on the venue
        self._pending: dict[str, float] = {}  # placed, unanswered: client id → loop time
        self._bare_since: dict[str, float] = {}  # symbol → when it was first seen bare
        self._warned: set[str] = set()
        self._refused_at: dict[tuple[str, GuardKind], float] = {}
        self._nonce = 0
        self.loaded = False  # the venue's guards read at least once
        self._read_failures = 0
        self._wake = asyncio.Event()
        venue.subscribe_guards(self.on_guard)

    # --- what the snapshot shows ---------------------------------------------------
    def trigger(self, symbol: str, kind: GuardKind) -> Decimal | None:
        triggers = [g.trigger for g in self.held.values() if (g.symbol, g.kind) == (symbol, kind)]
        return triggers[0] if len(triggers) == 1 else None

    def stop_trigger(self, symbol: str) -> Decimal | None:
        """The stop the venue holds for `symbol` (alone or in a bracket)."""
        stops = [g.trigger for g in self.held.values() if g.symbol == symbol and g.kind.stops]
        return stops[0] if len(stops) == 1 else None

    @property
    def answered(self) -> bool:
        """No placement is waiting for the venue's answer."""
        return not self._pending

    # --- lifecycle -----------------------------------------------------------------
    async def load(self) -> None:
        """Adopt the guards the venue holds (ours by client id)."""
        self.held = {g.client_id: g for g in await self._venue.open_guards()}
        self._pending.clear()
        self.loaded = True
        if self.held:
            listed = "; ".join(g.describe() for g in self.held.values())
            self._say(Severity.INFO, f"the exchange holds {len(self.held)} guard(s): {listed}")

    def wake(self) -> None:
        """Something changed (a fill, a position): compare now, not at the next check."""
        self._wake.set()

    async def step(self) -> None:
        """Wait for a change (or the next check), then bring the guards in step. Nothing
        is placed before the venue's own guards were read: that is what keeps a restart
        from doubling them."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._timing.check_s)
        self._wake.clear()
        if not self.loaded:
            await self._reload("cannot read the exchange's guards")
            if not self.loaded:
                return
        await self._refresh_if_unanswered()
        self.sync()

    # --- the venue's answers ----------------------------------------------------------
    def on_guard(self, guard: GuardOrder) -> None:
        self._pending.pop(guard.client_id, None)
        if guard.status.working:
            self.held[guard.client_id] = guard
        else:
            self.held.pop(guard.client_id, None)
        if guard.status is GuardStatus.REJECTED:
            self._refused_at[(guard.symbol, guard.kind)] = asyncio.get_running_loop().time()
            self._say(Severity.WARNING, f"exchange refused {guard.describe()}: {guard.reason}")
        elif guard.status is GuardStatus.DONE:
            self._say(Severity.WARNING, f"exchange {guard.describe()} fired", guard.symbol)
        self._wake.set()

    # --- deciding --------------------------------------------------------------------
    def sync(self) -> None:
        """Send what it takes to make the venue's guards match the positions."""
        parts = self._core.parts
        positions = [p for p in parts.portfolio.positions.values() if p.is_open]
        levels = {p.symbol: parts.exits.levels_for(p) for p in positions}
        targets = guard_targets(positions, levels, parts.rules, kinds=self._venue.guard_kinds)
        plan = plan_guards(targets, self.held.values(), self._move_bps, parts.market.symbols)
        pending_keys = {(g.symbol, g.kind) for g in self._pending_guards()}
        now = asyncio.get_running_loop().time()
        for target in plan.place:
            refused = self._refused_at.get(target.key)
            if refused is not None and now - refused < self._timing.refused_pause_s:
                continue
            if target.key not in pending_keys:
                self._place(target)
        for guard in plan.cancel:
            if (guard.symbol, guard.kind) in pending_keys and guard.client_id in self._pending:
                continue
            self.held.pop(guard.client_id, None)
            self._submit(CancelGuard(guard, "its position closed or it was replaced"))
        self._watch_bare({p.symbol for p in positions}, targets)

    def _place(self, target: GuardTarget) -> None:
        self._nonce += 1
        nonce = self._nonce + int(self._clock.now().timestamp() * 1000)
        guard = GuardOrder(
            guard_client_id(target.symbol, target.kind, target.trigger, nonce),
            target.symbol,
            target.kind,
            target.side,
            target.quantity,
            target.trigger,
            take_profit=target.take_profit,
        )
        self._pending[guard.client_id] = asyncio.get_running_loop().time()
        self.held[guard.client_id] = guard  # counts as held until the venue says otherwise
        self._submit(PlaceGuard(guard, f"protect {target.symbol}"))

    def _pending_guards(self) -> list[GuardOrder]:
        return [self.held[c] for c in self._pending if c in self.held]

    async def _refresh_if_unanswered(self) -> None:
        now = asyncio.get_running_loop().time()
        if any(now - sent >= self._timing.confirm_s for sent in self._pending.values()):
            await self._reload("a guard placement went unanswered; reading them failed")

    async def _reload(self, failure: str) -> None:
        try:
            await self.load()
        except BrokerError as exc:
            if self._read_failures == 0:
                self._say(Severity.WARNING, f"{failure}: {exc}")
            self._read_failures += 1
        else:
            self._read_failures = 0

    def _watch_bare(self, open_symbols: set[str], targets: list[GuardTarget]) -> None:
        """Warn once per episode when a position has had no working stop for a while."""
        wants_stop = {t.symbol for t in targets if t.kind.stops}
        stopped = {
            g.symbol for g in self.held.values()
            if g.kind.stops and g.client_id not in self._pending
        }  # fmt: skip
        now = asyncio.get_running_loop().time()
        for symbol in open_symbols & wants_stop:
            if symbol in stopped:
                self._bare_since.pop(symbol, None)
                if symbol in self._warned:
                    self._warned.discard(symbol)
                    self._say(Severity.INFO, f"{symbol} is protected by the exchange again")
                continue
            since = self._bare_since.setdefault(symbol, now)
            if now - since >= self._timing.unprotected_s and symbol not in self._warned:
                self._warned.add(symbol)
                self._say(
                    Severity.CRITICAL,
                    f"{symbol} position has no exchange-side stop: it is unprotected if the "
                    "trader goes down",
                    symbol,
                )
        for symbol in set(self._bare_since) - open_symbols:
            self._bare_since.pop(symbol)
            self._warned.discard(symbol)

    def _say(self, severity: Severity, message: str, symbol: str = "") -> None:
        now: datetime = self._clock.now()
        self._record(SafetyEvent(now, severity, SafetyKind.EXCHANGE_STOP, message, symbol))
