"""Trading strategies: incremental, O(1) per candle, registered by name."""

from tui_trader.strategies.base import Strategy, StrategyParamError, StrategyParams
from tui_trader.strategies.params import load_strategy_params
from tui_trader.strategies.registry import available_strategies, create_strategy

__all__ = [
    "Strategy",
    "StrategyParamError",
    "StrategyParams",
    "available_strategies",
    "create_strategy",
    "load_strategy_params",
]
