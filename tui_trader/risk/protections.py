"""Protections, as Freqtrade composes them: pauses of new entries after bad outcomes.

- cooldown: after a losing exit on a symbol, no new entry on it for `cooldown_min`;
- stop-loss guard: `stoploss_count` stop-outs (stop-loss or trailing stop exits at a
  loss) within `stoploss_window_min` pause every entry for `stoploss_pause_min`;
- max drawdown: equity `max_drawdown_pct` below its highest over `drawdown_window_min`
  pauses every entry for `drawdown_pause_min`;
- low profit: a symbol whose closed trades in `low_profit_window_min` (at least
  `low_profit_trades` of them; 0 turns it off) made less than `low_profit_pct` of their
  cost is paused for `low_profit_pause_min`.

Pure and clock-free: closed trades and equity samples come in with their market time,
and the question "may this symbol enter now?" is answered for a given time, so the live
trader and the backtester (the same core) pause at the same moments. A zero turns a
protection off; all are off by default."""

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tui_trader.domain.enums import IntentPurpose

_STOP_OUTS = frozenset({IntentPurpose.STOP_LOSS, IntentPurpose.TRAILING_STOP})
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ProtectionSettings:
    cooldown_min: float = 0
    stoploss_count: int = 0
    stoploss_window_min: float = 60
    stoploss_pause_min: float = 60
    max_drawdown_pct: Decimal = ZERO
    drawdown_window_min: float = 1440
    drawdown_pause_min: float = 60
    low_profit_pct: Decimal = ZERO  # may be negative: pause only below a loss
    low_profit_trades: int = 0
    low_profit_window_min: float = 1440
    low_profit_pause_min: float = 60


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    symbol: str
    at: datetime
    pnl: Decimal  # realized, after fees
    cost: Decimal  # the entry's notional, for the profit ratio
    purpose: IntentPurpose  # what closed it


@dataclass(frozen=True, slots=True)
class Pause:
    until: datetime
    why: str

    def text(self) -> str:
        return f"{self.why} (until {self.until:%H:%M} UTC)"


class Protections:
    def __init__(self, settings: ProtectionSettings) -> None:
        self.settings = settings
        self._trades: deque[ClosedTrade] = deque()
        self._equity: deque[tuple[datetime, Decimal]] = deque()
        self._symbol_pauses: dict[str, Pause] = {}
        self._global: Pause | None = None

    @property
    def enabled(self) -> bool:
        s = self.settings
        return bool(s.cooldown_min or s.stoploss_count or s.max_drawdown_pct or s.low_profit_trades)

    # --- what happened ------------------------------------------------------------------
    def trade_closed(self, trade: ClosedTrade) -> list[Pause]:
        """Record a closed trade; the pauses it starts (to be said)."""
        s, started = self.settings, []
        self._trades.append(trade)
        self._forget(trade.at)
        if s.cooldown_min and trade.pnl < 0:
            why = f"{trade.symbol} cooldown after a losing exit"
            started.append(self._pause_symbol(trade.symbol, trade.at, s.cooldown_min, why))
        started += self._stoploss_guard(trade)
        started += self._low_profit(trade.symbol, trade.at)
        return started

    def equity(self, at: datetime, value: Decimal) -> Pause | None:
        """An equity sample; the drawdown pause it starts, if any."""
        s = self.settings
        if not s.max_drawdown_pct or value <= 0:
            return None
        window = timedelta(minutes=s.drawdown_window_min)
        self._equity.append((at, value))
        while self._equity and self._equity[0][0] < at - window:
            self._equity.popleft()
        peak = max(v for _, v in self._equity)
        drawdown = (peak - value) / peak * 100
        if drawdown < s.max_drawdown_pct or self._active_global(at):
            return None
        why = f"drawdown {drawdown:.2f}% ≥ {s.max_drawdown_pct}% in {s.drawdown_window_min:g} min"
        return self._pause_all(at, s.drawdown_pause_min, why)

    # --- what it allows -------------------------------------------------------------------
    def blocking(self, symbol: str, at: datetime) -> Pause | None:
        """Why `symbol` may not enter at `at` (None: it may)."""
        held = self._active_global(at)
        if held is not None:
            return held
        pause = self._symbol_pauses.get(symbol)
        if pause is not None and pause.until <= at:
            del self._symbol_pauses[symbol]
            return None
        return pause

    def global_pause(self, at: datetime) -> Pause | None:
        return self._active_global(at)

    # --- the rules ------------------------------------------------------------------------
    def _stoploss_guard(self, trade: ClosedTrade) -> list[Pause]:
        s = self.settings
        if not s.stoploss_count or trade.purpose not in _STOP_OUTS or trade.pnl >= 0:
            return []
        since = trade.at - timedelta(minutes=s.stoploss_window_min)
        outs = [t for t in self._trades if t.at >= since and t.purpose in _STOP_OUTS and t.pnl < 0]
        if len(outs) < s.stoploss_count or self._active_global(trade.at):
            return []
        why = f"{len(outs)} stop-outs in {s.stoploss_window_min:g} min"
        return [self._pause_all(trade.at, s.stoploss_pause_min, why)]

    def _low_profit(self, symbol: str, at: datetime) -> list[Pause]:
        s = self.settings
        if not s.low_profit_trades:
            return []
        since = at - timedelta(minutes=s.low_profit_window_min)
        trades = [t for t in self._trades if t.symbol == symbol and t.at >= since]
        cost = sum((t.cost for t in trades), ZERO)
        if len(trades) < s.low_profit_trades or cost <= 0:
            return []
        profit_pct = sum((t.pnl for t in trades), ZERO) / cost * 100
        if profit_pct >= s.low_profit_pct:
            return []
        why = (
            f"{symbol} low profit {profit_pct:.2f}% < {s.low_profit_pct}% over {len(trades)} trades"
        )
        return [self._pause_symbol(symbol, at, s.low_profit_pause_min, why)]

    def _pause_symbol(self, symbol: str, at: datetime, minutes: float, why: str) -> Pause:
        pause = Pause(at + timedelta(minutes=minutes), why)
        current = self._symbol_pauses.get(symbol)
        if current is None or current.until < pause.until:
            self._symbol_pauses[symbol] = pause
        return pause

    def _pause_all(self, at: datetime, minutes: float, why: str) -> Pause:
        self._global = Pause(at + timedelta(minutes=minutes), why)
        return self._global

    def _active_global(self, at: datetime) -> Pause | None:
        if self._global is not None and self._global.until <= at:
            self._global = None
        return self._global

    def _forget(self, now: datetime) -> None:
        """Trades older than every window are of no use any more."""
        s = self.settings
        longest = max(s.stoploss_window_min, s.low_profit_window_min)
        while self._trades and self._trades[0].at < now - timedelta(minutes=longest):
            self._trades.popleft()
