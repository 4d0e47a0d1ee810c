"""`tui-trader backtest --fast` / `--verify`: the same output as the exact path, one line
when the fast path does not apply, exit 2 naming the install command without numba."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_backtest_cli import backtest
from tui_trader.backtest.cli import run_backtest_command

MARKET = ["--market-orders", "--fee", "0.001", "--slippage", "5", "--param", "fast_period=3",
          "--param", "slow_period=8", "--output", "json"]  # fmt: skip
LIMIT = MARKET[1:]


def report(
    path: Path, tmp_path: Path, name: str, *args: str, orders: list[str] = MARKET
) -> dict[str, object]:
    out = tmp_path / f"{name}.json"
    assert backtest("--data", str(path), *orders, *args, "--file", str(out)) == 0
    result: dict[str, object] = json.loads(out.read_text())
    return result


@pytest.mark.parametrize("orders", [MARKET, LIMIT], ids=["market", "limit"])
def test_fast_and_verified_output_equal_the_exact_paths(
    data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    orders: list[str],
) -> None:
    exact = report(data, tmp_path, "exact", orders=orders)
    assert report(data, tmp_path, "fast", "--fast", orders=orders) == exact
    assert "fast path not used" not in capsys.readouterr().err
    assert report(data, tmp_path, "verified", "--verify", orders=orders) == exact
    assert "--verify: the fast and the exact path agree" in capsys.readouterr().err
    assert exact["trades"], "the file should trade"


def test_outside_the_subset_one_line_says_why_and_the_exact_path_runs(
    data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "r.json"
    args = ["--data", str(data), "--fast", "--output", "json", "--file", str(out)]
    assert run_backtest_command(["--strategy", "vwap", "--no-progress", *args]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "fast path not used: vwap has no compiled kernel (fast path: ema_cross, rsi, macd, "
        "bollinger); running the exact path"
    ]
    assert json.loads(out.read_text())["run"]["strategy"] == "vwap"


def test_a_fast_grid_ranks_as_the_exact_grid(
    data: Path,
    tmp_path: Path,
) -> None:
    grid = ["--grid", "fast_period=3,5", "--grid", "slow_period=8,13", "--workers", "2",
            "--rank-by", "total_return"]  # fmt: skip
    exact = report(data, tmp_path, "exact", *grid)
    assert report(data, tmp_path, "fast", *grid, "--fast") == exact


def test_without_numba_fast_exits_2_naming_the_install(data: Path) -> None:
    probe = (
        "import sys; sys.modules['numba'] = None\n"  # what an install without the extra sees
        "from tui_trader.backtest.cli import run_backtest_command\n"
        f"sys.exit(run_backtest_command(['--strategy', 'ema_cross', '--data', {str(data)!r},"
        " '--fast', '--no-progress']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "tui-trader backtest: the fast path needs numba: pip install 'tui-trader[fast]'"
    )
