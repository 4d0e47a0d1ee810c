"""An example of a machine-learning signal model as a strategy plug-in: a logistic
regression trained offline (`python -m tui_trader.backtest.train_logistic`) and stored
as JSON, scored here in plain Python, so the core install carries no ML library.

It is registered through the `tui_trader.strategies` entry-point group, the same way a
separately installed package would add its own model. The bundled model file is an
example of the format trained on a seeded synthetic series, not a trading edge: train
one on your own data and point MODEL_PATH at it.

Features (the trainer computes them with this same class): the last candle's return and
the 5-candle return in %, RSI(14) centred on 0, and the close's gap to EMA(20) in %.
BUY when the modelled probability of a higher close `horizon` candles on is above
`buy_above`, SELL below `sell_below`."""

import json
import math
from collections import deque
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from tui_trader.indicators import EMA, RSI
from tui_trader.strategies.base import (
    BUY,
    HOLD,
    SELL,
    Bar,
    Decision,
    Strategy,
    StrategyParamError,
    StrategyParams,
)

FORMAT = "tui-trader-logistic-1"
FEATURES = ("ret_1_pct", "ret_5_pct", "rsi_centred", "ema_gap_pct")
BUNDLED_MODEL = Path(__file__).with_name("models") / "logistic_example.json"


class ModelFeatures:
    """The model's inputs from closes, O(1) per candle; None while warming up."""

    WARMUP = 21

    def __init__(self) -> None:
        self._closes: deque[float] = deque(maxlen=6)
        self._rsi, self._ema = RSI(14), EMA(20)

    def update(self, close: float) -> list[float] | None:
        self._closes.append(close)
        rsi, ema = self._rsi.update(close), self._ema.update(close)
        if rsi is None or ema is None or len(self._closes) < 6:
            return None
        last, before, oldest = self._closes[-1], self._closes[-2], self._closes[0]
        return [
            (last / before - 1) * 100,
            (last / oldest - 1) * 100,
            (rsi - 50) / 50,
            (last / ema - 1) * 100,
        ]


class LogisticModel:
    def __init__(self, weights: list[float], bias: float) -> None:
        self.weights, self.bias = weights, bias

    def probability(self, x: list[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1 / (1 + math.exp(-max(min(z, 60.0), -60.0)))

    @classmethod
    def load(cls, path: Path) -> "LogisticModel":
        """The model in `path`, or StrategyParamError saying what is wrong with it."""
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise StrategyParamError(f"logistic_model: model_path {path}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StrategyParamError(f"logistic_model: {path} is not a {FORMAT} model file")
        if data.get("features") != list(FEATURES):
            raise StrategyParamError(
                f"logistic_model: {path} was trained on features {data.get('features')!r}, "
                f"this version computes {list(FEATURES)}"
            )
        weights = data.get("weights")
        numbers = [*weights, data.get("bias")] if isinstance(weights, list) else []
        if len(numbers) != len(FEATURES) + 1 or not all(_finite(v) for v in numbers):
            raise StrategyParamError(f"logistic_model: {path}: weights and bias must be numbers")
        return cls([float(v) for v in numbers[:-1]], float(numbers[-1]))


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class LogisticModelParams(StrategyParams):
    model_path: str = ""  # empty: the bundled example model
    buy_above: Annotated[float, Field(gt=0.5, lt=1)] = 0.55
    sell_below: Annotated[float, Field(gt=0, lt=0.5)] = 0.45

    @model_validator(mode="after")
    def _check_file(self) -> Self:
        if self.model_path and not Path(self.model_path).expanduser().is_file():
            raise ValueError(f'model_path="{self.model_path}": no such file')
        return self


class LogisticModelStrategy(Strategy):
    name = "logistic_model"
    Params = LogisticModelParams
    params: LogisticModelParams

    def _setup(self) -> None:
        path = Path(self.params.model_path).expanduser() if self.params.model_path else None
        self._model = LogisticModel.load(path or BUNDLED_MODEL)
        self._features = ModelFeatures()

    @property
    def warmup_period(self) -> int:
        return ModelFeatures.WARMUP

    def _decide(self, bar: Bar) -> Decision | None:
        x = self._features.update(bar.close)
        if x is None:
            return None
        p = self._model.probability(x)
        if p > self.params.buy_above:
            return BUY, p, f"buy: model p(up)={p:.3f}", None
        if p < self.params.sell_below:
            return SELL, 1 - p, f"sell: model p(up)={p:.3f}", None
        return HOLD, 0.0, f"hold: model p(up)={p:.3f}", None
