"""How much an entry spends (SIZING):

- fixed: POSITION_SIZE_PCT of equity (the default);
- kelly: the Kelly fraction f = W - (1 - W) / R of the last KELLY_TRADES closed trades'
  returns (W: the share that won, R: the average win over the average loss), capped at
  SIZING_MAX_PCT; until KELLY_MIN_TRADES trades have closed, the fixed fraction; a
  fraction of 0 or less (no edge measured) stakes KELLY_FLOOR_PCT so trades keep coming
  to measure it again;
- atr: a stop ATR_STOP_MULT × ATR away loses ATR_RISK_PCT of equity, so the size is
  risk / (ATR × mult) units, capped at SIZING_MAX_PCT of equity; without an ATR yet, the
  fixed fraction.

Pure: closed trades and the ATR come in, a budget in the quote asset goes out. The risk
checks still judge the order that results (MAX_POSITION_PCT and the rest)."""

from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from tui_trader.risk.protections import ClosedTrade

SizingMode = Literal["fixed", "kelly", "atr"]
ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class SizingSettings:
    mode: SizingMode = "fixed"
    fixed_pct: Decimal = Decimal(5)
    max_pct: Decimal = Decimal(10)
    kelly_trades: int = 50
    kelly_min_trades: int = 20
    kelly_floor_pct: Decimal = Decimal("0.5")
    atr_risk_pct: Decimal = Decimal(1)
    atr_stop_mult: Decimal = Decimal(2)
    atr_take_mult: Decimal = ZERO  # 0: the take-profit stays TAKE_PROFIT_PCT


@dataclass(frozen=True, slots=True)
class Budget:
    quote: Decimal  # what to spend
    how: str  # for the intent's reason: "kelly 4.2%", "atr risk 1% at 2×ATR 35.1", ...


class Sizer:
    def __init__(self, settings: SizingSettings) -> None:
        self.settings = settings
        self._returns: deque[Decimal] = deque(maxlen=settings.kelly_trades)

    @property
    def needs_trades(self) -> bool:
        return self.settings.mode == "kelly"

    @property
    def needs_atr(self) -> bool:
        return self.settings.mode == "atr"

    def trade_closed(self, trade: ClosedTrade) -> None:
        if trade.cost > 0:
            self._returns.append(trade.pnl / trade.cost)

    def kelly_fraction(self) -> Decimal | None:
        """f = W - (1 - W) / R, or None while too few trades (or no win or no loss yet)."""
        returns = self._returns
        if len(returns) < self.settings.kelly_min_trades:
            return None
        wins = [r for r in returns if r > 0]
        losses = [-r for r in returns if r < 0]
        if not wins or not losses:
            return None
        w = Decimal(len(wins)) / len(returns)
        payoff = (sum(wins, ZERO) / len(wins)) / (sum(losses, ZERO) / len(losses))
        return w - (1 - w) / payoff

    def exit_distances(self, atr: float | None) -> tuple[Decimal, Decimal | None] | None:
        """With ATR sizing, the position's stop (and take-profit, ATR_TAKE_MULT > 0) at
        those multiples of the ATR from the entry: the stop the size was computed for."""
        s = self.settings
        if s.mode != "atr" or atr is None or atr <= 0:
            return None
        unit = Decimal(repr(atr))
        return unit * s.atr_stop_mult, unit * s.atr_take_mult if s.atr_take_mult else None

    def budget(self, equity: Decimal, price: Decimal, atr: float | None) -> Budget:
        s = self.settings
        fixed = Budget(equity * s.fixed_pct / HUNDRED, f"fixed {s.fixed_pct}%")
        if s.mode == "kelly":
            fraction = self.kelly_fraction()
            if fraction is None:
                return fixed
            share = min(max(fraction * HUNDRED, s.kelly_floor_pct), s.max_pct)
            return Budget(equity * share / HUNDRED, f"kelly {share:.2f}% (f={fraction:.3f})")
        if s.mode == "atr" and atr is not None and atr > 0 and price > 0:
            distance = Decimal(repr(atr)) * s.atr_stop_mult
            units = equity * s.atr_risk_pct / HUNDRED / distance
            spend = min(units * price, equity * s.max_pct / HUNDRED)
            return Budget(spend, f"atr: {s.atr_risk_pct}% at risk {s.atr_stop_mult}×ATR {atr:.6g}")
        return fixed
