"""The order gate: trading state → idempotency → risk. Synchronous and I/O-free, so the
live engine, the backtester and the benchmark all decide with exactly this code."""

from collections.abc import Iterable
from dataclasses import dataclass

from tui_trader.domain.orders import OrderIntent
from tui_trader.execution.idempotency import IdempotencyGuard, client_order_id
from tui_trader.risk.context import RiskContext
from tui_trader.risk.manager import RiskDecision, RiskManager
from tui_trader.safety.trading_state import TradingState


@dataclass(frozen=True, slots=True)
class GateDecision:
    intent: OrderIntent
    client_order_id: str
    approved: bool
    stage: str  # trading_state | idempotency | risk | approved
    reason: str
    risk: RiskDecision | None = None


class OrderGate:
    def __init__(self, risk: RiskManager, guard: IdempotencyGuard, state: TradingState) -> None:
        self.risk = risk
        self.guard = guard
        self.state = state  # the one answer to "may orders go out now?"

    def remember_journaled(self, client_order_ids: Iterable[str]) -> None:
        """Client ids an earlier run journaled (read at start): an intent that would
        reuse one is refused as a duplicate."""
        for coid in client_order_ids:
            self.guard.remember(coid)

    def blocked(self, intent: OrderIntent) -> str | None:
        """Why the trading state stops this intent now, else None. Checked again right
        before sending."""
        return self.state.refusal(intent.purpose)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GateDecision:
        coid = client_order_id(intent.intent_id)
        blocked = self.blocked(intent)
        if blocked is not None:
            return GateDecision(intent, coid, False, "trading_state", blocked)
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
