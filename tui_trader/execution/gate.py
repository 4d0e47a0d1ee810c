"""The order gate: kill switch → idempotency → risk. Synchronous and I/O-free, so the
live engine, the backtester and the benchmark all decide with exactly this code."""

from dataclasses import dataclass

from tui_trader.domain.enums import IntentPurpose
from tui_trader.domain.orders import OrderIntent
from tui_trader.execution.idempotency import IdempotencyGuard, client_order_id
from tui_trader.risk.context import RiskContext
from tui_trader.risk.manager import RiskDecision, RiskManager
from tui_trader.safety.kill_switch import KillState

# While killed, only an operator's own closing orders may pass.
_ALLOWED_WHILE_KILLED = frozenset({IntentPurpose.FLATTEN, IntentPurpose.MANUAL_CLOSE})


@dataclass(frozen=True, slots=True)
class GateDecision:
    intent: OrderIntent
    client_order_id: str
    approved: bool
    stage: str  # kill_switch | engine | idempotency | risk | approved
    reason: str
    risk: RiskDecision | None = None


class OrderGate:
    def __init__(self, risk: RiskManager, guard: IdempotencyGuard) -> None:
        self.risk = risk
        self.guard = guard
        self.kill: KillState | None = None  # set by the shell from the kill switch file
        # Entries pass only while the engine is RUNNING; the trader opens and closes this.
        self.entries_open = False
        # Why entries are held back although the engine runs (reconciling with Binance).
        self.entry_block: str | None = None

    def blocked(self, intent: OrderIntent) -> str | None:
        """Why the trader's state stops this intent now (kill switch, or entries while
        the engine is not RUNNING), else None. Checked again right before sending."""
        if self.kill is not None and intent.purpose not in _ALLOWED_WHILE_KILLED:
            return f"kill switch active ({self.kill.source}: {self.kill.reason})"
        if not self.entries_open and intent.purpose is IntentPurpose.ENTRY:
            return "engine not running: no new entries"
        if self.entry_block is not None and intent.purpose is IntentPurpose.ENTRY:
            return f"entries blocked: {self.entry_block}"
        return None

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GateDecision:
        coid = client_order_id(intent.intent_id)
        blocked = self.blocked(intent)
        if blocked is not None:
            stage = "kill_switch" if blocked.startswith("kill") else "engine"
            return GateDecision(intent, coid, False, stage, blocked)
        if self.guard.seen(coid):
            reason = f"duplicate intent {intent.intent_id} (client id {coid} already used)"
            return GateDecision(intent, coid, False, "idempotency", reason)
        decision = self.risk.check(intent, ctx)
        if not decision.approved:
            return GateDecision(intent, coid, False, "risk", decision.reason, decision)
        # Remember on approval, before the journal/broker see it: a second copy of the
        # same intent queued behind this one must be refused even if this one fails.
        self.guard.remember(coid)
        return GateDecision(intent, coid, True, "approved", "approved", decision)
