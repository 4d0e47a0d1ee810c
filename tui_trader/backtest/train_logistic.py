"""Train the example logistic model offline from a candle CSV (the backtester's formats):

    python -m tui_trader.backtest.train_logistic CANDLES.csv MODEL.json [--horizon 5]

The label is whether the close `horizon` candles later is higher. Plain Python stochastic
gradient descent over the strategy's own features (logistic_model.ModelFeatures), so a
model scores in the trader exactly as it was trained. Seeded: the same file gives the
same model. Prints the training accuracy beside the share of up-moves (the accuracy of
always saying "up"): a model that does not beat it has learnt nothing."""

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from tui_trader.market.feed import FeedError
from tui_trader.market.replay import read_candles
from tui_trader.strategies.logistic_model import FEATURES, FORMAT, LogisticModel, ModelFeatures

Rows = list[tuple[list[float], int]]


def examples(closes: Sequence[float], horizon: int) -> Rows:
    features = ModelFeatures()
    rows = []
    for i, close in enumerate(closes):
        x = features.update(close)
        if x is not None and i + horizon < len(closes):
            rows.append((x, 1 if closes[i + horizon] > close else 0))
    return rows


def train(rows: Rows, *, epochs: int = 5, rate: float = 0.05, seed: int = 7) -> LogisticModel:
    model = LogisticModel([0.0] * len(FEATURES), 0.0)
    order = list(range(len(rows)))
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(order)
        step = rate / (1 + epoch)
        for i in order:
            x, y = rows[i]
            error = model.probability(x) - y
            model.weights = [w - step * error * v for w, v in zip(model.weights, x, strict=True)]
            model.bias -= step * error
    return model


def accuracy(model: LogisticModel, rows: Rows) -> float:
    hits = sum(1 for x, y in rows if (model.probability(x) > 0.5) == bool(y))
    return hits / len(rows) if rows else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="train_logistic", description=__doc__.splitlines()[0])
    ap.add_argument("candles", type=Path)
    ap.add_argument("model", type=Path)
    ap.add_argument("--symbol", default="BTCUSDT")
    ap.add_argument("--interval", default="1m")
    ap.add_argument("--horizon", type=int, default=5, choices=range(1, 101), metavar="1..100")
    args = ap.parse_args(argv)
    try:
        closes = [float(c.close) for c in read_candles(args.candles, args.symbol, args.interval)]
    except (FeedError, OSError) as exc:
        print(f"train_logistic: {exc}", file=sys.stderr)
        return 2
    rows = examples(closes, args.horizon)
    if len(rows) < 100:
        print(f"train_logistic: {len(rows)} examples: too few to train on", file=sys.stderr)
        return 2
    model = train(rows)
    up = sum(y for _, y in rows) / len(rows)
    body = {
        "format": FORMAT,
        "features": list(FEATURES),
        "weights": model.weights,
        "bias": model.bias,
        "horizon": args.horizon,
        "trained_on": f"{args.candles.name}: {len(rows)} examples",
    }
    args.model.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    print(f"{len(rows)} examples, accuracy {accuracy(model, rows):.3f} (always up: {up:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
