"""The strategy interface: validated parameters in, one Signal out per closed candle."""

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError

from tui_trader.domain.enums import SignalAction
from tui_trader.domain.market import Candle
from tui_trader.domain.orders import Signal
from tui_trader.indicators import ATR

BUY = SignalAction.BUY
SELL = SignalAction.SELL
HOLD = SignalAction.HOLD


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_DAY = 86_400_000_000
_MICROSECOND = timedelta(microseconds=1)

# What a strategy decided on one candle: action, confidence, reason and its own size
# (None: sized by the risk settings). Frequent ones are module constants: no allocation.
Decision = tuple[SignalAction, float, str, Decimal | None]


class Bar(NamedTuple):
    """A closed candle's numbers as the strategies decide on them: the Decimal prices
    converted to float once, and the open time in whole epoch microseconds (a UTC day
    is `open_us // US_PER_DAY`). The live path builds one from each Candle; the
    backtester builds them from its column cache without making Decimals."""

    open_us: int
    open: float
    high: float
    low: float
    close: float
    volume: float

    @classmethod
    def of(cls, candle: Candle) -> "Bar":
        micros = (candle.open_time - _EPOCH) // _MICROSECOND
        return cls(micros, float(candle.open), float(candle.high), float(candle.low),
                   float(candle.close), float(candle.volume))  # fmt: skip


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


def clamp(confidence: float) -> float:
    """A confidence as signals carry it: within [0, 1]."""
    return 0.0 if confidence < 0.0 else 1.0 if confidence > 1.0 else confidence


class Strategy(ABC):
    """One instance per symbol. `on_candle` takes CLOSED candles only, in time order, and
    returns a Signal every call (HOLD with reason "warming up (n/N)" until
    `warmup_period` candles have been seen). Implementations are O(1) per candle and
    keep float state: they decide in `_decide` on a `Bar` (the candle's numbers as
    floats), which the live path builds from each Candle and the backtester from its
    column cache, so both run the same decision code. A strategy that needs the exact
    Decimal prices (the grid) overrides `_step` instead and sets `decides_on_bars`
    False: the backtester then hands it every candle."""

    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]]
    params: StrategyParams

    def __init__(self, symbol: str, params: Mapping[str, Any] | None = None) -> None:
        self.symbol = symbol
        self.params = self.parse_params(params)
        self._seen = 0
        self._sizing_atr: ATR | None = None  # tracked for SIZING=atr only
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

    @property
    def decides_on_bars(self) -> bool:
        """True when the decision needs nothing but the Bar (see the class docstring): a
        strategy that overrides `_decide`. One written against `_step` (a plug-in, the
        grid) gets every Candle."""
        return type(self)._decide is not Strategy._decide

    def _decide(self, bar: Bar) -> Decision | None:
        """Feed one candle's numbers to the indicators; None while they are not ready."""
        # Not a missing piece: the guard for a caller that ignored `decides_on_bars`.
        raise TypeError(f"{self.name} decides on candles (_step): give it candles, not bars")

    def _step(self, candle: Candle) -> Decision | None:
        """Feed one candle to the indicators; None while they are not ready."""
        return self._decide(Bar.of(candle))

    def indicators(self) -> dict[str, float | None]:
        """Current indicator values by name (for the LLM advisor's input and the UI);
        strategies with indicators worth showing override it."""
        return {}

    def reset(self) -> None:
        self._seen = 0
        if self._sizing_atr is not None:
            self._sizing_atr.reset()
        self._setup()
        self._warmup = self.warmup_period

    def track_atr(self, period: int) -> None:
        """Keep an ATR of every candle seen (live and in backtests alike), for sizing."""
        self._sizing_atr = ATR(period)

    @property
    def atr(self) -> float | None:
        return self._sizing_atr.value if self._sizing_atr is not None else None

    def on_candle(self, candle: Candle) -> Signal:
        if not candle.closed:
            raise ValueError(f"{self.name}: on_candle takes closed candles only")
        if candle.symbol != self.symbol:
            raise ValueError(f"{self.name}: candle for {candle.symbol} sent to {self.symbol}")
        self._seen += 1
        if self._sizing_atr is not None:
            self._sizing_atr.update(float(candle.high), float(candle.low), float(candle.close))
        decided = self._step(candle)  # always runs: indicators need every candle
        return self.signal(candle, *self._past_warmup(decided))

    def on_bar(self, bar: Bar) -> Decision:
        """`on_candle`'s decision without the Signal (what the backtester asks on every
        candle; it builds the Candle and the Signal only when something may happen)."""
        self._seen += 1
        if self._sizing_atr is not None:
            self._sizing_atr.update(bar.high, bar.low, bar.close)
        return self._past_warmup(self._decide(bar))

    def _past_warmup(self, decided: Decision | None) -> Decision:
        warmup = self._warmup
        if decided is None or self._seen < warmup:
            return HOLD, 0.0, f"warming up ({min(self._seen, warmup)}/{warmup})", None
        return decided

    def signal(
        self,
        candle: Candle,
        action: SignalAction,
        confidence: float,
        reason: str,
        quantity: Decimal | None = None,
    ) -> Signal:
        return Signal(
            self.symbol,
            action,
            clamp(confidence),
            reason,
            candle.close_time,
            candle.close,
            self.name,
            quantity,
        )
