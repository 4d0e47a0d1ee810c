"""Strategies by name: the one place that knows every implementation."""

from collections.abc import Mapping
from typing import Any

from tui_trader.strategies.base import Strategy, StrategyParamError
from tui_trader.strategies.bollinger import BollingerStrategy
from tui_trader.strategies.conservative import ConservativeStrategy
from tui_trader.strategies.ema_cross import EmaCrossStrategy
from tui_trader.strategies.grid import GridStrategy
from tui_trader.strategies.macd import MacdStrategy
from tui_trader.strategies.rsi import RsiStrategy
from tui_trader.strategies.synthesizer import SynthesizerStrategy
from tui_trader.strategies.volume_profile import VolumeProfileStrategy
from tui_trader.strategies.vwap import VwapStrategy

_STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (
        ConservativeStrategy,
        RsiStrategy,
        EmaCrossStrategy,
        MacdStrategy,
        BollingerStrategy,
        VwapStrategy,
        VolumeProfileStrategy,
        GridStrategy,
        SynthesizerStrategy,
    )
}


def available_strategies() -> list[str]:
    return sorted(_STRATEGIES)


def strategy_class(name: str) -> type[Strategy]:
    try:
        return _STRATEGIES[name]
    except KeyError:
        accepted = ", ".join(available_strategies())
        raise StrategyParamError(f"unknown strategy {name!r} (accepted: {accepted})") from None


def create_strategy(name: str, symbol: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """Build a strategy for one symbol; `params` is e.g. Settings.strategy_params.
    Raises StrategyParamError for an unknown name or a bad parameter."""
    return strategy_class(name)(symbol, params)
