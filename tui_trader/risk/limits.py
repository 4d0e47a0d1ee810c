"""Risk limits: the frozen subset of the settings the risk layer reads (built from them
in the wiring, so the core never loads the settings machinery)."""

from dataclasses import dataclass
from decimal import Decimal

from tui_trader.domain.enums import MarketKind


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Percentages are in percent (2 means 2 %); slippage in basis points. A pct of 0 for
    the exit levels (stop loss, take profit, trailing stop) and 0 max holding minutes
    disable that exit."""

    allow_market_orders: bool
    max_position_pct: Decimal
    max_open_positions: int
    max_daily_loss_pct: Decimal
    max_orders_per_sec: int
    max_orders_per_day: int
    futures_enabled: bool
    max_leverage: int
    max_slippage_bps: Decimal
    circuit_breaker_pct: Decimal
    anomaly_jump_pct: Decimal
    anomaly_spread_pct: Decimal
    balance_mismatch_tolerance: Decimal
    max_consecutive_failures: int
    stop_loss_pct: Decimal
    take_profit_pct: Decimal
    trailing_stop_pct: Decimal
    max_holding_minutes: int
    market_type: MarketKind
