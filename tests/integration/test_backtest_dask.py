"""Issue 15 part 3: a sweep on a Dask cluster (started here, loopback only) gives the
local processes' results, in the same ranking; a scheduler that is not there is one line."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster

from tests.unit.test_backtest_runner import settings, walk
from tui_trader.backtest.cli import run_backtest_command
from tui_trader.backtest.executors import DaskCluster, ExecutorError, LocalProcesses
from tui_trader.backtest.grid import run_grid
from tui_trader.backtest.monte_carlo import run_monte_carlo
from tui_trader.backtest.results import BacktestSpec
from tui_trader.backtest.runner import run_backtest

GRID = {"fast_period": [2, 3, 5], "slow_period": [8, 13]}


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as running:  # fmt: skip
        yield running


def test_a_grid_and_monte_carlo_on_dask_equal_local_processes(
    tmp_path: Path, cluster: LocalCluster
) -> None:
    spec = BacktestSpec(walk(tmp_path / "w.csv", 2000), "BTCUSDT")
    chosen = settings(tmp_path, strategy_params={})
    with LocalProcesses(2) as local:
        here = run_grid(chosen, spec, {}, GRID, "total_return", executor=local)
        base = run_backtest(settings(tmp_path), spec)
        noise_here = run_monte_carlo(settings(tmp_path), spec, base, local, runs=4)
    with DaskCluster(cluster.scheduler_address) as remote:
        assert remote.workers == 2 and "Dask cluster tcp://127.0.0.1:" in remote.where
        there = run_grid(chosen, spec, {}, GRID, "total_return", executor=remote)
        noise_there = run_monte_carlo(settings(tmp_path), spec, base, remote, runs=4)
    assert there.rows == here.rows and len(there.rows) == 6
    assert noise_there == noise_here


def test_the_command_line_runs_a_grid_on_the_cluster(
    tmp_path: Path, cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    data = walk(tmp_path / "w.csv", 1000)
    argv = ["--strategy", "ema_cross", "--data", str(data), "--symbol", "BTCUSDT",
            "--grid", "fast_period=2,3", "--grid", "slow_period=5,8", "--no-progress",
            "--output", "csv", "--cluster", cluster.scheduler_address]  # fmt: skip
    assert run_backtest_command(argv) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1 + 4  # header + 4 sets


def test_no_scheduler_there_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    absent = DaskCluster("tcp://127.0.0.1:9", timeout_s=1.0)
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler at tcp://127"):
        absent.__enter__()
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    argv = ["--strategy", "ema_cross", "--data", str(walk(tmp_path / "w.csv", 100)),
            "--symbol", "BTCUSDT", "--grid", "fast_period=2,3", "--no-progress",
            "--cluster", "tcp://127.0.0.1:9"]  # fmt: skip
    started = time.monotonic()
    assert run_backtest_command(argv) == 2
    assert time.monotonic() - started < 30
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "cannot reach the Dask scheduler" in error[0]
