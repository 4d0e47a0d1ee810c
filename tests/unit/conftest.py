"""Fixtures shared by the backtest command's tests."""

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

START_MS = int(datetime(2024, 3, 1, 20, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A candle file in an empty working folder, with the data dir beside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    rng = random.Random(2)
    price, lines = 100.0, []
    for index in range(2000):
        close = round(price * (1 + rng.gauss(0, 0.004)), 2)
        high, low = max(price, close) * 1.001, min(price, close) * 0.999
        start = START_MS + index * 60_000
        lines.append(
            f"{start},{price},{high:.2f},{low:.2f},{close},10,{start + 59_999},0,0,0,0,0\n"
        )
        price = close
    path = tmp_path / "BTCUSDT-1m.csv"
    path.write_text("".join(lines))
    return path
