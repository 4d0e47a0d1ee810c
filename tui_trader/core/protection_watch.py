"""The core's side of the protections (risk/protections.py): it turns fills into closed
trades, samples equity when an entry is decided, says every pause once as a safety
event, and holds the trading state at REDUCING ("protection: ...") while a pause of
every entry lasts.

Everything happens at fills and at entry decisions, never on a quiet candle, so the
backtester's quiet-candle path pauses exactly where the every-candle path does."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.domain.enums import IntentPurpose, Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.orders import Fill
from tui_trader.domain.portfolio import Position
from tui_trader.risk.protections import ClosedTrade, Pause, Protections
from tui_trader.safety.trading_state import HoldReason, TradingMode, TradingState

SOURCE = "protections"
ZERO = Decimal(0)


@dataclass(slots=True)
class _Open:
    """A position being watched: where its PnL and fees stood when it opened."""

    realized: Decimal
    fees: Decimal
    cost: Decimal  # the largest cost basis it had


class ProtectionWatch:
    def __init__(
        self,
        protections: Protections,
        state: TradingState,
        say: Callable[[SafetyEvent], None],
        on_trade: Callable[[ClosedTrade], None] | None = None,
    ) -> None:
        """`on_trade`: also told every closed trade (Kelly sizing learns from them)."""
        self.protections, self._state, self._say = protections, state, say
        self._on_trade = on_trade
        self._open: dict[str, _Open] = {}
        self._said: dict[str, Pause] = {}  # the pause last said per symbol

    def after_fill(
        self, before: Position, after: Position, fill: Fill, purpose: IntentPurpose
    ) -> None:
        """`before`: the symbol's position before the fill (flat, if none), with the
        realized PnL and fees booked on it so far."""
        if not self.protections.enabled and self._on_trade is None:
            return
        symbol = fill.symbol
        watch = self._open.get(symbol)
        if watch is None and after.is_open:
            watch = self._open[symbol] = _Open(before.realized_pnl, before.fees_paid, ZERO)
        if watch is None:
            return
        if after.is_open:
            watch.cost = max(watch.cost, abs(after.quantity) * after.average_entry)
            return
        del self._open[symbol]
        pnl = (after.realized_pnl - watch.realized) - (after.fees_paid - watch.fees)
        trade = ClosedTrade(symbol, fill.ts, pnl, watch.cost, purpose)
        if self._on_trade is not None:
            self._on_trade(trade)
        for pause in self.protections.trade_closed(trade):
            self._started(pause, fill.ts, symbol)

    def may_enter(self, symbol: str, at: datetime, equity: Decimal) -> bool:
        """Whether an entry on `symbol` may be decided at `at` (equity: the account's
        now, for the drawdown pause)."""
        protections = self.protections
        if not protections.enabled:
            return True
        drawdown = protections.equity(at, equity)
        if drawdown is not None:
            self._started(drawdown, at, "")
        self.release_expired(at)
        pause = protections.blocking(symbol, at)
        return pause is None

    def release_expired(self, at: datetime) -> None:
        """Asked on every tick: nothing to do unless a protection is configured."""
        if self.protections.enabled and self.protections.global_pause(at) is None:
            self._state.release(HoldReason.PROTECTION, SOURCE)

    def _started(self, pause: Pause, at: datetime, symbol: str) -> None:
        everyone = self.protections.global_pause(at) is pause
        if everyone:
            self._state.hold(HoldReason.PROTECTION, TradingMode.REDUCING, pause.text(), SOURCE)
        elif self._said.get(symbol) == pause:
            return
        self._said[symbol] = pause
        scope = "every new entry" if everyone else f"new {symbol} entries"
        message = f"{scope} paused: {pause.text()}"
        self._say(SafetyEvent(at, Severity.WARNING, SafetyKind.PROTECTION, message, symbol))
