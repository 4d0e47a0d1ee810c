"""Grid trading: fixed price levels around a centre, one order size per level crossed.

Levels are center * (1 + k * spacing_pct / 100) for k = -levels..levels (the centre is
the first close when not given). BUY when the close crosses down through levels
(previous close > level >= close), SELL when it crosses up (previous close < level <=
close). Only closes are compared; a candle crossing n levels gives one signal with
quantity = n * quantity (quantity unset: sized by the risk settings). Level arithmetic is
Decimal, so a close exactly on a level is exactly on it. Confidence is 1.0: the grid is
mechanical."""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Annotated, Self

from pydantic import Field, model_validator

from tui_trader.domain.enums import SignalAction
from tui_trader.domain.market import Candle
from tui_trader.strategies.base import BUY, HOLD, SELL, Decision, Strategy, StrategyParams

_NO_LEVEL: Decision = (HOLD, 0.0, "hold: no grid level crossed", None)


class GridParams(StrategyParams):
    # Decimal fields are lax so TOML's 0.5 or "0.5" both work.
    center: Annotated[Decimal | None, Field(gt=0, strict=False)] = None
    spacing_pct: Annotated[Decimal, Field(gt=0, le=50, strict=False)] = Decimal("1")
    levels: Annotated[int, Field(ge=1, le=500)] = 5
    quantity: Annotated[Decimal | None, Field(gt=0, strict=False)] = None

    @model_validator(mode="after")
    def _check_lowest_level(self) -> Self:
        if self.levels * self.spacing_pct >= 100:
            raise ValueError(
                f"levels={self.levels}: levels x spacing_pct ({self.spacing_pct}) must be < 100"
                " so the lowest level stays above 0"
            )
        return self


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


class GridStrategy(Strategy):
    name = "grid"
    Params = GridParams
    params: GridParams

    def _setup(self) -> None:
        self._center = self.params.center
        self._prev: Decimal | None = None

    @property
    def warmup_period(self) -> int:
        return 2  # a crossing needs a previous close

    @property
    def decides_on_bars(self) -> bool:
        return False  # level arithmetic is Decimal: it needs the candle's exact close

    def _step(self, candle: Candle) -> Decision | None:
        close = candle.close
        center = self._center
        if center is None:
            center = self._center = close
        prev, self._prev = self._prev, close
        if prev is None:
            return None
        # Positions in units of grid steps from the centre: level k sits at position k.
        step = center * self.params.spacing_pct / 100
        was, now = (prev - center) / step, (close - center) / step
        levels = self.params.levels
        first_down, last_down = max(_ceil(now), -levels), min(_ceil(was) - 1, levels)
        if last_down >= first_down:
            lowest = (center + first_down * step).normalize()
            return self._trade(BUY, last_down - first_down + 1, f"down to {lowest:f}")
        first_up, last_up = max(_floor(was) + 1, -levels), min(_floor(now), levels)
        if last_up >= first_up:
            highest = (center + last_up * step).normalize()
            return self._trade(SELL, last_up - first_up + 1, f"up to {highest:f}")
        return _NO_LEVEL

    def _trade(self, action: SignalAction, crossed: int, where: str) -> Decision:
        per_level = self.params.quantity
        quantity = per_level * crossed if per_level is not None else None
        reason = f"{action.lower()}: crossed {crossed} grid level(s) {where}"
        return action, 1.0, reason, quantity
