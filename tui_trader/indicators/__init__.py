"""Incremental indicators: float internally, O(1) per update, None until seeded.

Each has `update(...) -> float | None`, a `value` property and `reset()`. Seeding follows
TA-Lib where TA-Lib has the indicator; each class's docstring says exactly how."""

from tui_trader.indicators.averages import EMA, SMA, RollingMean
from tui_trader.indicators.momentum import MACD, RSI
from tui_trader.indicators.ranges import ATR, Bollinger
from tui_trader.indicators.volume import VWAP, VolumeProfile

__all__ = ["ATR", "EMA", "MACD", "RSI", "SMA", "VWAP", "Bollinger", "RollingMean", "VolumeProfile"]
