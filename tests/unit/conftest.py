"""Fixtures and files shared by the backtest command's and the grid's tests."""

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

EVENING_MS = int(datetime(2024, 3, 1, 20, tzinfo=UTC).timestamp() * 1000)


def write_candles(path: Path, count: int, seed: int, start_ms: int = EVENING_MS) -> Path:
    """A random walk of 1m candles in cents from 100, volume 10, as a Binance CSV."""
    rng = random.Random(seed)
    price, lines = 100.0, []
    for index in range(count):
        close = round(price * (1 + rng.gauss(0, 0.004)), 2)
        high, low = max(price, close) * 1.001, min(price, close) * 0.999
        start = start_ms + index * 60_000
        lines.append(
            f"{start},{price},{high:.2f},{low:.2f},{close},10,{start + 59_999},0,0,0,0,0\n"
        )
        price = close
    path.write_text("".join(lines))
    return path


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A candle file in an empty working folder, with the data dir beside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    return write_candles(tmp_path / "BTCUSDT-1m.csv", 2000, seed=2)
