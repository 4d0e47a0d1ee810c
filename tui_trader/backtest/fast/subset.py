"""What the fast path runs (its declared subset) and the decisions of those strategies
as whole arrays. Anything else runs on the exact path, which `unsupported` says why."""

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from tui_trader.backtest.fast import kernels, windows
from tui_trader.config import Settings
from tui_trader.domain.enums import MarketKind
from tui_trader.risk.protections import Protections
from tui_trader.runtime.core_parts import protection_settings
from tui_trader.strategies.base import Strategy
from tui_trader.strategies.bollinger import BollingerStrategy
from tui_trader.strategies.ema_cross import EmaCrossStrategy
from tui_trader.strategies.macd import MacdStrategy
from tui_trader.strategies.registry import strategy_class
from tui_trader.strategies.rsi import RsiStrategy

Closes = npt.NDArray[np.float64]
Actions = npt.NDArray[np.int8]


# strategy name → (its class, the kernel that decides as it does on every close, the
# parameters the kernel takes, in order, before the warm-up)
KERNELS: dict[str, tuple[type[Strategy], Callable[..., Actions], tuple[str, ...]]] = {
    "ema_cross": (EmaCrossStrategy, kernels.ema_cross_actions, ("fast_period", "slow_period")),
    "rsi": (RsiStrategy, kernels.rsi_actions, ("period", "oversold", "overbought")),
    "macd": (MacdStrategy, windows.macd_actions,
             ("fast_period", "slow_period", "signal_period")),
    "bollinger": (BollingerStrategy, windows.bollinger_actions,
                  ("period", "num_std", "max_bandwidth_pct", "min_bandwidth_pct")),
}  # fmt: skip


def unsupported(settings: Settings) -> str:
    """Why these settings are outside the fast path's subset, or "" when inside."""
    name = settings.strategy
    if name not in KERNELS:
        return f"{name} has no compiled kernel (fast path: {', '.join(KERNELS)})"
    if strategy_class(name) is not KERNELS[name][0]:
        return f"{name} is replaced by a plug-in"
    checks: list[tuple[Any, str]] = [
        (settings.market_type is not MarketKind.SPOT, "futures run on the exact path"),
        (settings.sizing != "fixed", f"SIZING={settings.sizing} runs on the exact path"),
        (Protections(protection_settings(settings)).enabled, "PROTECT_* runs on the exact path"),
    ]
    return next((why for failed, why in checks if failed), "")


def decide(strategy: Strategy, close: Closes) -> Actions:
    """The strategy's action on each close: 0 HOLD, 1 BUY, 2 SELL."""
    _, kernel, names = KERNELS[strategy.name]
    params = (getattr(strategy.params, name) for name in names)
    out: Actions = kernel(close, *params, strategy.warmup_period)
    return out
