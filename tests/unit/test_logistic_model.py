"""The example ML plug-in: a logistic model trained offline by the trainer, scored by the
strategy with the same features; a missing or malformed model file is a clear parameter
error; the trainer refuses too little data."""

import json
import math
import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tui_trader.backtest.train_logistic import main as train_main
from tui_trader.domain.enums import SignalAction
from tui_trader.domain.market import Candle
from tui_trader.strategies.base import StrategyParamError
from tui_trader.strategies.logistic_model import FEATURES, LogisticModelStrategy

T0 = datetime(2026, 12, 2, tzinfo=UTC)


def mean_reverting_csv(path: Path, count: int, seed: int = 3) -> list[float]:
    """A seeded series where a rise tends to be followed by a fall."""
    rng, price, last, closes = random.Random(seed), 100.0, 0.0, []
    lines = ["timestamp,open,high,low,close,volume"]
    for i in range(count):
        move = -0.4 * last + rng.gauss(0, 0.002)
        new = price * (1 + move)
        stamp = int((T0 + timedelta(minutes=i)).timestamp() * 1000)
        hi, lo = max(price, new) * 1.0001, min(price, new) * 0.9999
        lines.append(f"{stamp},{price:.4f},{hi:.4f},{lo:.4f},{new:.4f},1")
        price, last = new, move
        closes.append(float(f"{new:.4f}"))
    path.write_text("\n".join(lines) + "\n")
    return closes


def candles(closes: list[float]) -> list[Candle]:
    out, previous = [], closes[0]
    for i, close in enumerate(closes):
        o, c = Decimal(str(previous)), Decimal(str(close))
        at = T0 + timedelta(minutes=i)
        out.append(
            Candle("BTCUSDT", at, at + timedelta(minutes=1), o, max(o, c), min(o, c), c, Decimal(1))
        )
        previous = close
    return out


def test_a_trained_model_learns_the_reversion_and_the_strategy_trades_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closes = mean_reverting_csv(tmp_path / "c.csv", 3000)
    model = tmp_path / "model.json"
    assert train_main([str(tmp_path / "c.csv"), str(model), "--horizon", "1"]) == 0
    data = json.loads(model.read_text())
    assert data["features"] == list(FEATURES) and data["weights"][0] < 0  # fades the last move
    printed = capsys.readouterr().out
    found = re.search(r"accuracy ([\d.]+) \(always up: ([\d.]+)\)", printed)
    assert found is not None, printed
    accuracy, always_up = float(found[1]), float(found[2])
    assert accuracy > always_up  # beats saying "up" every time
    strategy = LogisticModelStrategy("BTCUSDT", {"model_path": str(model)})
    actions = {strategy.on_candle(c).action for c in candles(closes[:500])}
    assert {SignalAction.BUY, SignalAction.SELL, SignalAction.HOLD} <= actions


def test_the_bundled_example_model_loads() -> None:
    strategy = LogisticModelStrategy("BTCUSDT", {})
    assert strategy.warmup_period == 21 and math.isfinite(strategy._model.bias)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "model_path"),
        ('{"format": "other"}', "is not a tui-trader-logistic-1 model file"),
        (json.dumps({"format": "tui-trader-logistic-1", "features": ["x"]}), "trained on features"),
        (
            json.dumps({"format": "tui-trader-logistic-1", "features": list(FEATURES),
                        "weights": [1, 2, "three", 4], "bias": 0}),
            "weights and bias must be numbers",
        ),
    ],
)  # fmt: skip
def test_a_malformed_model_file_is_a_clear_parameter_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "model.json"
    path.write_text(content)
    with pytest.raises(StrategyParamError, match=message):
        LogisticModelStrategy("BTCUSDT", {"model_path": str(path)})


def test_a_missing_model_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(StrategyParamError, match="no such file"):
        LogisticModelStrategy("BTCUSDT", {"model_path": str(tmp_path / "gone.json")})


def test_the_trainer_refuses_too_little_data_and_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mean_reverting_csv(tmp_path / "short.csv", 50)
    assert train_main([str(tmp_path / "short.csv"), str(tmp_path / "m.json")]) == 2
    assert "too few to train on" in capsys.readouterr().err
    assert train_main([str(tmp_path / "none.csv"), str(tmp_path / "m.json")]) == 2
    assert not (tmp_path / "m.json").exists()
