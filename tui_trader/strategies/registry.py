"""Strategies by name: the one place that knows every implementation (the single ones
in `catalogue`, the synthesizer built from them, and the plug-ins installed from the
strategies folders and installed packages: plugins.py)."""

from collections.abc import Iterable, Mapping
from typing import Any

from tui_trader.strategies.base import Strategy, StrategyParamError
from tui_trader.strategies.catalogue import SINGLE_STRATEGIES
from tui_trader.strategies.synthesizer import SynthesizerStrategy

_STRATEGIES: dict[str, type[Strategy]] = {
    **SINGLE_STRATEGIES,
    SynthesizerStrategy.name: SynthesizerStrategy,
}


_PLUGINS: dict[str, type[Strategy]] = {}  # replaced as a whole by install_plugins
_PROBLEMS: list[str] = []  # one line per plug-in that failed to load


def builtin_names() -> frozenset[str]:
    return frozenset(_STRATEGIES)


def install_plugins(classes: Iterable[type[Strategy]], problems: Iterable[str] = ()) -> None:
    """Make these plug-ins (checked by plugins.discover) the ones known by name."""
    _PLUGINS.clear()
    _PLUGINS.update({cls.name: cls for cls in classes})
    _PROBLEMS[:] = list(problems)


def plugin_problems() -> list[str]:
    return list(_PROBLEMS)


def available_strategies() -> list[str]:
    return sorted(_STRATEGIES | _PLUGINS)


def strategy_class(name: str) -> type[Strategy]:
    found = _STRATEGIES.get(name) or _PLUGINS.get(name)
    if found is not None:
        return found
    accepted = ", ".join(available_strategies())
    problems = "".join(f"; {problem}" for problem in _PROBLEMS)
    raise StrategyParamError(f"unknown strategy {name!r} (accepted: {accepted}){problems}")


def create_strategy(name: str, symbol: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """Build a strategy for one symbol; `params` is e.g. Settings.strategy_params.
    Raises StrategyParamError for an unknown name or a bad parameter."""
    return strategy_class(name)(symbol, params)
