"""Issue 15 part 3: a search ranked on the fast path is confirmed by the exact engine:
its top k backtested again on the live code, any change in value or order said, and a
disagreement (a parity failure) fails the command."""

import json
from pathlib import Path

import pytest

from tests.unit.test_backtest_research import HOUR, cli
from tests.unit.test_backtest_runner import settings, walk
from tui_trader.backtest.cli import run_backtest_command
from tui_trader.backtest.confirm import confirm_top
from tui_trader.backtest.executors import LocalProcesses
from tui_trader.backtest.fast import fast_reason
from tui_trader.backtest.grid import evaluate
from tui_trader.backtest.monte_carlo import run_monte_carlo
from tui_trader.backtest.results import BacktestSpec
from tui_trader.backtest.runner import run_backtest
from tui_trader.backtest.walk_forward import data_span, plan, run_walk_forward

SETS = [{"fast_period": 2, "slow_period": 5}, {"fast_period": 3, "slow_period": 8},
        {"fast_period": 5, "slow_period": 13}]  # fmt: skip


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_a_ranking_the_exact_engine_does_not_share_is_reported(tmp_path: Path) -> None:
    spec = BacktestSpec(walk(tmp_path / "w.csv", 1200), "BTCUSDT")
    chosen = settings(tmp_path, strategy_params={})
    exact = [evaluate(chosen, spec, params).total_return_pct for params in SETS]
    truth = sorted(range(3), key=lambda i: -exact[i])
    with LocalProcesses(2) as executor:
        agreed = confirm_top(chosen, spec, {}, [(SETS[i], exact[i]) for i in truth],
                             "total_return", executor)  # fmt: skip
        # The same sets in the opposite order, one value off: what a broken fast path says.
        wrong = [(SETS[i], exact[i]) for i in reversed(truth)]
        wrong[0] = (wrong[0][0], wrong[0][1] + 1.0)
        disagreed = confirm_top(chosen, spec, {}, wrong, "total_return", executor, top=3)
    assert not agreed.differs and [r.exact_rank for r in agreed.rows] == [1, 2, 3]
    assert next(agreed.lines()).startswith("exact engine confirms the top 3 by total_return")
    assert disagreed.differs and [r.exact_rank for r in disagreed.rows] == [3, 2, 1]
    lines = list(disagreed.lines())
    assert lines[0] == "exact engine DISAGREES on the top 3 by total_return:"
    assert lines[1].startswith("  #1 → #3  fast_period=") and "exact " in lines[1]


def test_a_fast_grid_and_a_fast_search_are_confirmed(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--fast", "--market-orders", "--rank-by", "total_return", "--workers", "2"]
    grid = ["--grid", "fast_period=2,3,5", "--grid", "slow_period=8,13", "--confirm", "3",
            *common]  # fmt: skip
    assert run_backtest_command(cli(data_dir, *grid)) == 0
    out = capsys.readouterr().out
    assert "exact engine confirms the top 3 by total_return: the same values" in out
    search = ["--search", "fast_period=2..5", "--search", "slow_period=8..13", "--optimize",
              "4", "--output", "json", *common]  # fmt: skip
    assert run_backtest_command(cli(data_dir, *search)) == 0
    document = json.loads(capsys.readouterr().out)
    rows = document["confirmation"]["rows"]
    assert 1 <= len(rows) <= 4 and all(r["fast_value"] == r["exact_value"] for r in rows)


def test_a_bad_confirm_count_is_a_usage_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_backtest_command(cli(data_dir, "--grid", "fast_period=2,3", "--confirm", "-1")) == 2
    assert "--confirm K must be between 0" in capsys.readouterr().err


def test_walk_forward_and_monte_carlo_on_the_fast_path_give_the_exact_answer(
    tmp_path: Path,
) -> None:
    spec = BacktestSpec(walk(tmp_path / "w.csv", 1200), "BTCUSDT", cache=tmp_path / "cache")
    chosen = settings(tmp_path, strategy_params={})
    windows = plan(*data_span(chosen, spec), 6 * HOUR, 4 * HOUR)
    grid = {"fast_period": [2, 3], "slow_period": [5, 8]}
    tuned = settings(tmp_path)
    assert fast_reason(chosen, spec) == "" == fast_reason(tuned, spec)  # the fast path runs
    with LocalProcesses(2) as executor:
        walked = [run_walk_forward(chosen, spec, {}, grid, windows, executor, "total_return",
                                   fast=fast) for fast in (False, True)]  # fmt: skip
        base = run_backtest(tuned, spec)
        noisy = [run_monte_carlo(tuned, spec, base, executor, runs=3, perturb_bps=20, fast=fast)
                 for fast in (False, True)]  # fmt: skip
    assert walked[0] == walked[1] and len(walked[0].windows) == 3
    assert noisy[0] == noisy[1] and len({p.return_pct for p in noisy[0].perturbed}) > 1
