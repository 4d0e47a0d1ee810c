"""Strategies by name: the one place that knows every implementation (the single ones
in `catalogue`, plus the synthesizer built from them)."""

from collections.abc import Mapping
from typing import Any

from tui_trader.strategies.base import Strategy, StrategyParamError
from tui_trader.strategies.catalogue import SINGLE_STRATEGIES
from tui_trader.strategies.synthesizer import SynthesizerStrategy

_STRATEGIES: dict[str, type[Strategy]] = {
    **SINGLE_STRATEGIES,
    SynthesizerStrategy.name: SynthesizerStrategy,
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
