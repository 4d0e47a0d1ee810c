"""The single strategies by name (everything but the synthesizer, which is built from
them): what a synthesizer may list as members."""

from collections.abc import Mapping
from typing import Any

from tui_trader.strategies.base import Strategy, StrategyParamError
from tui_trader.strategies.bollinger import BollingerStrategy
from tui_trader.strategies.conservative import ConservativeStrategy
from tui_trader.strategies.ema_cross import EmaCrossStrategy
from tui_trader.strategies.grid import GridStrategy
from tui_trader.strategies.macd import MacdStrategy
from tui_trader.strategies.rsi import RsiStrategy
from tui_trader.strategies.volume_profile import VolumeProfileStrategy
from tui_trader.strategies.vwap import VwapStrategy

SINGLE_STRATEGIES: dict[str, type[Strategy]] = {
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
    )
}


def single_strategy(name: str, symbol: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """Build one single strategy; raises StrategyParamError for an unknown name (the
    message lists the accepted ones) or a bad parameter."""
    try:
        cls = SINGLE_STRATEGIES[name]
    except KeyError:
        accepted = ", ".join(sorted(SINGLE_STRATEGIES))
        raise StrategyParamError(f"unknown strategy {name!r} (accepted: {accepted})") from None
    return cls(symbol, params)
