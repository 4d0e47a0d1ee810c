"""The strategy interface: validated parameters in, one Signal out per closed candle."""

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tui_trader.domain.enums import SignalAction
from tui_trader.domain.market import Candle
from tui_trader.domain.orders import Signal

BUY = SignalAction.BUY
SELL = SignalAction.SELL
HOLD = SignalAction.HOLD


_WARMUP = re.compile(r"warming up \((\d+)/(\d+)\)")


def warmup_progress(signal: Signal) -> tuple[int, int] | None:
    """(candles seen, candles needed) while `signal` is a warm-up HOLD, else None."""
    match = _WARMUP.fullmatch(signal.reason)
    return (int(match[1]), int(match[2])) if match else None


class StrategyParamError(ValueError):
    """An unknown strategy or a bad parameter. The message names the strategy, the
    parameter, the bad value and what is accepted, e.g.
    "conservative: fast_period=0: must be >= 2"."""


class StrategyParams(BaseModel):
    """Base for every strategy's parameters: frozen, strict types, unknown keys refused.
    Cross-field checks raise ValueError("<param>=<value>: <what is accepted>")."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


_BOUNDS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}
_TYPES = {
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "dict_type": "must be a table of key = value",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "missing": "is required",
}


def show_value(value: Any) -> str:
    """A value as it would be written in a TOML file or a key=value override."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def describe_error(strategy: str, model: type[StrategyParams], exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        accepted = ", ".join(model.model_fields)
        what = f"unknown parameter (accepted: {accepted})"
    elif kind in _BOUNDS:
        symbol, key = _BOUNDS[kind]
        what = f"must be {symbol} {ctx[key]}"
    elif kind in _TYPES:
        what = _TYPES[kind]
    else:
        what = str(error["msg"]).removeprefix("Value error, ")
    if not loc:  # a cross-field check already names its parameter and value
        return f"{strategy}: {what}"
    return f"{strategy}: {loc}={show_value(error.get('input'))}: {what}"


class Strategy(ABC):
    """One instance per symbol. `on_candle` takes CLOSED candles only, in time order, and
    returns a Signal every call (HOLD with reason "warming up (n/N)" until
    `warmup_period` candles have been seen). Implementations are O(1) per candle and
    keep float state: a candle's Decimal prices are converted once on the way in."""

    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]]
    params: StrategyParams

    def __init__(self, symbol: str, params: Mapping[str, Any] | None = None) -> None:
        self.symbol = symbol
        self.params = self.parse_params(params)
        self._seen = 0
        self._setup()
        self._warmup = self.warmup_period  # read on every candle: computed once

    @classmethod
    def parse_params(cls, params: Mapping[str, Any] | None) -> StrategyParams:
        try:
            return cls.Params.model_validate(dict(params or {}))
        except ValidationError as exc:
            raise StrategyParamError(describe_error(cls.name, cls.Params, exc)) from None

    @property
    @abstractmethod
    def warmup_period(self) -> int:
        """Closed candles needed before the first non-warm-up signal."""

    @abstractmethod
    def _setup(self) -> None:
        """(Re)build indicators and per-candle state from `self.params`."""

    @abstractmethod
    def _step(self, candle: Candle) -> Signal | None:
        """Feed one candle to the indicators; None while they are not ready."""

    def indicators(self) -> dict[str, float | None]:
        """Current indicator values by name (for the LLM advisor's input and the UI);
        strategies with indicators worth showing override it."""
        return {}

    def reset(self) -> None:
        self._seen = 0
        self._setup()
        self._warmup = self.warmup_period

    def on_candle(self, candle: Candle) -> Signal:
        if not candle.closed:
            raise ValueError(f"{self.name}: on_candle takes closed candles only")
        if candle.symbol != self.symbol:
            raise ValueError(f"{self.name}: candle for {candle.symbol} sent to {self.symbol}")
        self._seen += 1
        signal = self._step(candle)  # always runs: indicators need every candle
        warmup = self._warmup
        if signal is None or self._seen < warmup:
            done = min(self._seen, warmup)
            return self.signal(candle, HOLD, 0.0, f"warming up ({done}/{warmup})")
        return signal

    def signal(
        self,
        candle: Candle,
        action: SignalAction,
        confidence: float,
        reason: str,
        quantity: Decimal | None = None,
    ) -> Signal:
        confidence = 0.0 if confidence < 0.0 else 1.0 if confidence > 1.0 else confidence
        return Signal(
            self.symbol,
            action,
            confidence,
            reason,
            candle.close_time,
            candle.close,
            self.name,
            quantity,
        )
