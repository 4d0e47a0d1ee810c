"""A damaged column cache under `backtest --fast`: the compiled order walk reads the
price parts chunk by chunk, checks each whole against its digest, and on a mismatch the
run goes to the exact path, which reads the CSV again. One line says so; the answer is
the undamaged one; no traceback, exit 0."""

import csv
import json
from pathlib import Path

import pytest

from tests.faults.support import clean_env, run_cli
from tests.faults.test_fault_numbers import candle_rows
from tui_trader.backtest.column_cache import layout
from tui_trader.backtest.fast.source import COEFFICIENTS, OPEN

DEADLINE_S = 180.0  # a fresh clone compiles the kernels on the first fast run


def _backtest(data: Path, csv_path: Path, out: Path, *extra: str) -> tuple[int, str]:
    args = ["backtest", "--strategy", "ema_cross", "--data", str(csv_path), "--market-orders",
            "--param", "fast_period=3", "--param", "slow_period=8", "--no-progress",
            "--output", "json", "--file", str(out), *extra]  # fmt: skip
    done = run_cli(*args, env=clean_env(data), deadline=DEADLINE_S)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-2000:]
    assert done.code == 0, done.stderr[-2000:]
    return done.code, done.stderr


def _flip_a_byte_of_the_opens(folder: Path) -> None:
    """One byte in the middle of the cached open prices' coefficients."""
    (cache,) = folder.rglob("*.columns")
    with cache.open("r+b") as handle:
        found = layout(handle)
        start, end = found.offsets[COEFFICIENTS + OPEN], found.offsets[COEFFICIENTS + OPEN + 1]
        handle.seek(found.at + (start + end) // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0x5A]))


@pytest.mark.fault(
    "column cache damaged under backtest --fast",
    "one line, the exact path reads the CSV again, the same answer, exit 0",
)
def test_a_flipped_byte_in_the_cached_prices_falls_back_with_the_same_answer(
    tmp_path: Path,
) -> None:
    data, csv_path = tmp_path / "data", tmp_path / "candles.csv"
    with csv_path.open("w", newline="") as handle:
        csv.writer(handle).writerows(candle_rows(3000))
    _backtest(data, csv_path, tmp_path / "exact.json")  # writes the cache
    _, first = _backtest(data, csv_path, tmp_path / "fast.json", "--fast")
    assert "fast path not used" not in first
    _flip_a_byte_of_the_opens(data)
    _, damaged = _backtest(data, csv_path, tmp_path / "damaged.json", "--fast")
    said = [line for line in damaged.splitlines() if "fast path not used" in line]
    assert len(said) == 1 and "do not match their digest" in said[0], damaged
    exact = json.loads((tmp_path / "exact.json").read_text())
    assert json.loads((tmp_path / "fast.json").read_text()) == exact
    assert json.loads((tmp_path / "damaged.json").read_text()) == exact
