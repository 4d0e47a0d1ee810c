"""Risk limits: the frozen subset of Settings the risk layer reads."""

from dataclasses import dataclass
from decimal import Decimal

from tui_trader.config import Settings
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

    @classmethod
    def from_settings(cls, settings: Settings) -> "RiskLimits":
        return cls(
            allow_market_orders=settings.allow_market_orders,
            max_position_pct=settings.max_position_pct,
            max_open_positions=settings.max_open_positions,
            max_daily_loss_pct=settings.max_daily_loss_pct,
            max_orders_per_sec=settings.max_orders_per_sec,
            max_orders_per_day=settings.max_orders_per_day,
            futures_enabled=settings.futures_enabled,
            max_leverage=settings.max_leverage,
            max_slippage_bps=settings.max_slippage_bps,
            circuit_breaker_pct=settings.circuit_breaker_pct,
            anomaly_jump_pct=settings.anomaly_jump_pct,
            anomaly_spread_pct=settings.anomaly_spread_pct,
            balance_mismatch_tolerance=settings.balance_mismatch_tolerance,
            max_consecutive_failures=settings.max_consecutive_failures,
            stop_loss_pct=settings.stop_loss_pct,
            take_profit_pct=settings.take_profit_pct,
            trailing_stop_pct=settings.trailing_stop_pct,
            max_holding_minutes=settings.max_holding_minutes,
            market_type=settings.market_type,
        )
