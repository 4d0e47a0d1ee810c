"""The operator's commands (start, stop, reset, kill and clearing it, close, cancel, live)
and what the kill switch does, including the watcher of the kill file another process may
write. Every command only changes state or queues commands for the execution engine:
nothing here talks to a broker. The trader owns one `OperatorCommands` and delegates its
command API (`TraderCommands`) to it."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from tui_trader.clock import Clock
from tui_trader.config import Settings
from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.enums import EngineState, IntentPurpose, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.execution.commands import CancelGuard, CancelRequest
from tui_trader.journal.store import Journal
from tui_trader.runtime.execution_engine import ExecutionEngine
from tui_trader.runtime.flat_proof import FlatProof, VenueBook, queued_closes, venue_book
from tui_trader.runtime.live_access import LIVE_PHRASE, keys_in_keyring, live_check
from tui_trader.safety.kill_ack import KillAcknowledger, clear_ack
from tui_trader.safety.kill_switch import KillState, KillSwitch, KillSwitchError
from tui_trader.safety.state_machine import EngineStateMachine, InvalidTransition
from tui_trader.safety.trading_state import HoldReason, TradingMode
from tui_trader.snapshot import KillView, LiveCheck

log = logging.getLogger("tui_trader.runtime.trader")

KILL_POLL_S = 0.2


class OperatorCommands:
    def __init__(
        self,
        *,
        settings: Settings,
        core: TradingCore,
        engine: ExecutionEngine,
        machine: EngineStateMachine,
        journal: Journal,
        kill_switch: KillSwitch,
        wall_clock: Clock,
        go_live: Callable[[], Awaitable[None]],
        record_safety: Callable[[SafetyEvent], None],
        touch: Callable[[], None],
    ) -> None:
        self.settings, self.core, self.engine = settings, core, engine
        self.machine, self.journal, self.kill_switch = machine, journal, kill_switch
        self.wall_clock = wall_clock
        self._go_live, self._record_safety, self._touch = go_live, record_safety, touch
        # After a kill that closes positions: read the venue back until it is flat.
        self.flat = FlatProof(
            lambda: venue_book(engine.broker, core),
            self.retry_flat,
            record_safety,
            wall_clock,
            deadline_s=settings.kill_verify_deadline_s,
            every_s=settings.kill_verify_every_s,
            queued=lambda: queued_closes(engine.broker),
            account=lambda: engine.broker.name,
        )
        self.kill_state: KillState | None = None  # the kill in force (file or memory)
        # A kill the file could not record: cleared by a restart or by clear_kill.
        self.kill_unpersisted = False
        self._keys: tuple[bool, str] = (False, "keyring not checked yet")

    async def check_keys(self) -> None:
        """Whether the keyring holds exchange keys (shown by the live check)."""
        self._keys = await keys_in_keyring(self.settings)

    async def start(self) -> None:
        if self.kill_state is not None:
            raise ValueError("kill switch is active; clear it with `tui-trader kill --clear --yes`")
        if self.journal.failing:
            raise ValueError("the journal cannot write; entries start once it can again")
        try:
            self.machine.start()
        except InvalidTransition as exc:
            raise ValueError(str(exc)) from None
        self._touch()

    async def stop(self, flatten: bool = False) -> None:
        """Stop trading: no new entries, open entry orders cancelled, positions kept
        (or closed when `flatten`). Protective exits stay armed while positions exist."""
        try:
            self.machine.begin_stop()
        except InvalidTransition as exc:
            raise ValueError(str(exc)) from None
        # Commands already queued are handled first (entries among them are now refused
        # at the gate); only then is the list of open entry orders final.
        await self.engine.drain()
        for order in self.core.parts.orders.open_orders():
            if order.purpose is IntentPurpose.ENTRY:
                self.engine.submit(CancelRequest(order.client_order_id, "engine stopping"))
        if flatten:
            self._flatten(IntentPurpose.FLATTEN)
        await self.engine.drain()
        self.machine.finish_stop()
        self._touch()

    async def reset(self) -> None:
        try:
            self.machine.reset()
        except InvalidTransition as exc:
            raise ValueError(str(exc)) from None
        self._touch()

    async def kill(self, close_positions: bool = False, source: str = "operator") -> None:
        self.activate_kill(source, "kill switch pressed", close_positions)
        await self.engine.drain()

    def activate_kill(self, source: str, reason: str, close_positions: bool = False) -> None:
        """Halt in memory first, then persist: a kill file that cannot be written (disk
        full, read-only data dir) must not leave the trader running."""
        now = self.wall_clock.now()
        state = KillState(now.isoformat(), source, reason, close_positions)
        if self.kill_state is not None:
            state = KillState(
                self.kill_state.activated_at,
                source,
                reason,
                close_positions or self.kill_state.close_positions,
            )
        self.apply_kill(state, announce=True)
        try:
            self.kill_switch.activate(now, source, reason, close_positions)
        except KillSwitchError as exc:
            self.kill_unpersisted = True
            self._record_safety(
                SafetyEvent(
                    now,
                    Severity.CRITICAL,
                    SafetyKind.KILL_SWITCH,
                    f"kill switch active in this process only, NOT persisted: {exc}",
                )
            )

    async def clear_kill(self, source: str = "operator") -> None:
        """The operator clears the kill from a front end: the kill file goes (and a kill
        held only in memory), the KILL_SWITCH hold is released and `start` works again.
        Nothing is awaited between removing the file and releasing the hold, so the kill
        watcher (on the same loop) finds nothing left to clear and says nothing twice."""
        if self.kill_state is None and not self.kill_switch.active:
            raise ValueError("the kill switch is not active")
        if self.flat.running:
            raise ValueError(
                "the kill is still closing positions and checking that the account is "
                "flat; clear it once the verdict is in"
            )
        try:
            self.kill_switch.clear()
        except KillSwitchError as exc:
            raise ValueError(str(exc)) from None
        clear_ack(self.kill_switch.path.parent)
        self.kill_unpersisted = False
        self.kill_cleared(by=source)

    def persist_kill_again(self) -> None:
        """A kill held only in memory: try the file again (space may have been freed),
        so a restart after this point is still killed."""
        kill = self.kill_state
        if not self.kill_unpersisted or kill is None:
            return
        now = self.wall_clock.now()
        try:
            self.kill_switch.activate(now, kill.source, kill.reason, kill.close_positions)
        except KillSwitchError:
            return
        self.kill_unpersisted = False
        self._record_safety(
            SafetyEvent(now, Severity.WARNING, SafetyKind.KILL_SWITCH, "kill switch now persisted")
        )

    async def close_position(self, symbol: str) -> None:
        if not self._flatten(IntentPurpose.MANUAL_CLOSE, only=symbol):
            raise ValueError(f"no open position in {symbol}")

    async def cancel_order(self, client_order_id: str) -> None:
        if self.core.parts.orders.get(client_order_id) is None:
            raise ValueError(f"no open order {client_order_id}")
        self.engine.submit(CancelRequest(client_order_id, "cancelled by operator"))

    def live_check(self) -> LiveCheck:
        return live_check(self.settings, self._keys)

    async def enable_live(self, phrase: str) -> None:
        if phrase != LIVE_PHRASE:
            raise ValueError(f"live mode refused: the phrase must be exactly {LIVE_PHRASE}")
        self._keys = await keys_in_keyring(self.settings)
        check = self.live_check()
        if not check.ready:
            raise ValueError(f"live mode refused: {check.detail}")
        await self._go_live()
        if self.kill_state is not None and self.kill_state.close_positions:
            # A kill carried over a restart was proven on the paper account; the proof
            # (with its closes for what remains) is owed on the account traded now.
            self.flat.begin()

    # --- kill switch ----------------------------------------------------------------
    def apply_kill(self, state: KillState, announce: bool) -> None:
        self.kill_state = state
        self.core.state.hold(
            HoldReason.KILL_SWITCH, TradingMode.HALTED, f"{state.source}: {state.reason}", "kill"
        )
        if self.machine.state is EngineState.RUNNING:
            self.machine.begin_stop()
            self.machine.finish_stop()
        for order in self.core.parts.orders.open_orders():
            self.engine.submit(CancelRequest(order.client_order_id, "kill switch"))
        if state.close_positions:
            self._flatten(IntentPurpose.FLATTEN)
            self.flat.begin()
        severity = Severity.CRITICAL if announce else Severity.WARNING
        verb = "activated" if announce else "still active from an earlier run"
        self._record_safety(
            SafetyEvent(
                self.wall_clock.now(),
                severity,
                SafetyKind.KILL_SWITCH,
                f"kill switch {verb} by {state.source}: {state.reason}"
                + ("; closing positions" if state.close_positions else ""),
            )
        )

    async def watch_kill_switch(self) -> None:
        """Another process (tui-trader kill) may write the kill file at any time. Also
        keeps space reserved for a kill on a full disk, and retries a kill that could
        not be written (once a second)."""
        await asyncio.to_thread(self.kill_switch.reserve)
        ack = KillAcknowledger(self.kill_switch.path.parent)
        rounds = 0
        while True:
            rounds += 1
            if self.kill_unpersisted and rounds % round(1 / KILL_POLL_S) == 0:
                self.persist_kill_again()
            state = self.kill_switch.read()
            held = self.kill_state
            if state is not None and (
                held is None or (state.close_positions and not held.close_positions)
            ):
                self.apply_kill(state, announce=True)  # new, or now closing positions too
            elif state is None and held is not None and not self.kill_unpersisted:
                self.kill_cleared()
            if state is not None and self.kill_state is not None and ack.due(state):
                await self.acknowledge_kill(ack, state)  # halted first, then says so
            await asyncio.sleep(KILL_POLL_S)

    async def acknowledge_kill(self, ack: KillAcknowledger, state: KillState) -> None:
        """Tell `tui-trader kill` that `state` is applied here (new orders blocked): the
        ack file, written off the event loop. A failure is logged; the kill holds."""
        problem = await asyncio.to_thread(ack.acknowledge, state, self.wall_clock.now())
        if problem:
            log.warning("%s", problem)

    def kill_cleared(self, by: str = "") -> None:
        """The kill is gone: its file removed by `tui-trader kill --clear` (the watcher
        saw it), or cleared here by `clear_kill` on behalf of `by`."""
        self.kill_state = None
        self.core.state.release(HoldReason.KILL_SWITCH, "operator")
        message = f"kill switch cleared by {by}" if by else "kill switch cleared"
        pending = self.flat.pending
        if self.flat.abandon() and not pending:  # cleared mid-proof: stop closing things
            message += "; the flat check was stopped before its verdict"
        if pending and (queued := queued_closes(self.engine.broker)):
            listed = ", ".join(f"{o.symbol} ({o.client_order_id})" for o in queued)
            message += (
                f"; the closes queued for the market's open stay queued: {listed} "
                "(cancel them in the orders panel to keep the positions)"
            )
        self._record_safety(
            SafetyEvent(self.wall_clock.now(), Severity.INFO, SafetyKind.KILL_SWITCH, message)
        )

    def retry_flat(self, book: VenueBook) -> None:
        """The venue still holds something after a kill: cancel again, close again."""
        for order in book.orders:
            self.engine.submit(CancelRequest(order.client_order_id, "kill: not flat yet"))
        # An exchange stop goes only once its position is closed: until then it protects.
        held = {symbol for symbol, _ in book.positions}
        for guard in book.guards:
            if guard.symbol not in held:
                self.engine.submit(CancelGuard(guard, "kill: its position is closed"))
        # A close the venue holds for its market's open is not asked for again.
        self._flatten(IntentPurpose.FLATTEN, skip={o.symbol for o in book.queued})

    def _flatten(
        self, purpose: IntentPurpose, only: str | None = None, skip: set[str] | None = None
    ) -> bool:
        parts = self.core.parts
        sent = False
        for symbol, position in list(parts.portfolio.positions.items()):
            if not position.is_open or (only is not None and symbol != only):
                continue
            if skip and symbol in skip:
                continue
            intent = parts.exits.flatten_intent(
                position,
                parts.market.price(symbol),
                parts.rules[symbol],
                purpose,
                # Wall time: an operator's repeated close after the feed stalled must
                # still get a new intent id (the market clock would not have moved).
                self.wall_clock.now(),
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


def kill_text(state: KillState | None) -> str | None:
    if state is None:
        return None
    return f"{state.source}: {state.reason}"


def kill_view(state: KillState | None) -> KillView | None:
    if state is None:
        return None
    try:
        at: datetime | None = datetime.fromisoformat(state.activated_at)
    except ValueError:  # an empty or damaged kill file carries no time
        at = None
    return KillView(state.source, state.reason, at, state.close_positions)
