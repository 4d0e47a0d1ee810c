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
from tui_trader.strategies.bollinger import BollingerParams, BollingerStrategy
from tui_trader.strategies.ema_cross import EmaCrossParams, EmaCrossStrategy
from tui_trader.strategies.macd import MacdParams, MacdStrategy
from tui_trader.strategies.registry import strategy_class
from tui_trader.strategies.rsi import RsiParams, RsiStrategy

Closes = npt.NDArray[np.float64]
Actions = npt.NDArray[np.int8]


def _ema_cross(strategy: Strategy, close: Closes) -> Actions:
    p = strategy.params
    assert isinstance(p, EmaCrossParams)
    out: Actions = kernels.ema_cross_actions(
        close, p.fast_period, p.slow_period, strategy.warmup_period
    )
    return out


def _rsi(strategy: Strategy, close: Closes) -> Actions:
    p = strategy.params
    assert isinstance(p, RsiParams)
    out: Actions = kernels.rsi_actions(
        close, p.period, p.oversold, p.overbought, strategy.warmup_period
    )
    return out


def _macd(strategy: Strategy, close: Closes) -> Actions:
    p = strategy.params
    assert isinstance(p, MacdParams)
    out: Actions = windows.macd_actions(
        close, p.fast_period, p.slow_period, p.signal_period, strategy.warmup_period
    )
    return out


def _bollinger(strategy: Strategy, close: Closes) -> Actions:
    p = strategy.params
    assert isinstance(p, BollingerParams)
    out: Actions = windows.bollinger_actions(
        close, p.period, p.num_std, p.max_bandwidth_pct, strategy.warmup_period
    )
    return out


# strategy name → (its class, the kernel that decides as it does on every close)
KERNELS: dict[str, tuple[type[Strategy], Callable[[Strategy, Closes], Actions]]] = {
    "ema_cross": (EmaCrossStrategy, _ema_cross),
    "rsi": (RsiStrategy, _rsi),
    "macd": (MacdStrategy, _macd),
    "bollinger": (BollingerStrategy, _bollinger),
}


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
    return KERNELS[strategy.name][1](strategy, close)
