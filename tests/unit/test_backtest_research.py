"""Issue 15 part 3: walk-forward windows and Monte Carlo bands, checked against the
backtests and grid searches they are made of, run separately here."""

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.unit.test_backtest_runner import T0, settings, walk
from tui_trader.backtest.cli import run_backtest_command
from tui_trader.backtest.executors import LocalProcesses
from tui_trader.backtest.grid import run_grid
from tui_trader.backtest.metrics import compute_metrics
from tui_trader.backtest.monte_carlo import (
    Band,
    PathFigures,
    drawdown_of,
    perturbed,
    run_monte_carlo,
    shuffled_drawdowns,
)
from tui_trader.backtest.progress import Advance
from tui_trader.backtest.research_cli import BestSoFar, MedianReturn, Watched
from tui_trader.backtest.results import BacktestSpec
from tui_trader.backtest.runner import run_backtest
from tui_trader.backtest.walk_forward import (
    WalkForwardError,
    data_span,
    parse_windows,
    plan,
    run_walk_forward,
)
from tui_trader.domain.enums import Side
from tui_trader.journal.trades import RoundTrip
from tui_trader.market.replay import read_candles

GRID = {"fast_period": [2, 3], "slow_period": [5, 8]}
HOUR = timedelta(hours=1)


def test_spans_and_windows_are_read_strictly() -> None:
    assert parse_windows("30d:7d") == (timedelta(days=30), timedelta(days=7))
    assert parse_windows("90m:2h") == (timedelta(minutes=90), timedelta(hours=2))
    for bad in ("30d", "30x:1d", "0d:1d", "d:1d", "1d:-1d"):
        with pytest.raises(WalkForwardError):
            parse_windows(bad)
    windows = plan(T0, T0 + 10 * HOUR, 4 * HOUR, 2 * HOUR)
    assert [(w.train_start, w.test_start, w.test_end) for w in windows] == [
        (T0, T0 + 4 * HOUR, T0 + 6 * HOUR),
        (T0 + 2 * HOUR, T0 + 6 * HOUR, T0 + 8 * HOUR),
        (T0 + 4 * HOUR, T0 + 8 * HOUR, T0 + 10 * HOUR),
    ]  # the test windows tile the range after the first train window
    with pytest.raises(WalkForwardError, match="shorter than one train\\+test window"):
        plan(T0, T0 + 5 * HOUR, 4 * HOUR, 2 * HOUR)


def test_each_window_chooses_on_train_and_is_judged_on_test(tmp_path: Path) -> None:
    data = walk(tmp_path / "w.csv", 1200)  # 20 hours of 1m candles
    spec = BacktestSpec(data, "BTCUSDT")
    base = settings(tmp_path, strategy_params={})
    first, end = data_span(base, spec)
    assert (first, end) == (T0, T0 + 1200 * timedelta(minutes=1))
    windows = plan(first, end, 6 * HOUR, 4 * HOUR)
    with LocalProcesses(2) as executor:
        result = run_walk_forward(base, spec, {}, GRID, windows, executor, "total_return")
        assert len(result.windows) == 3
        growth = 1.0
        for row in result.windows:
            w = row.window
            train = replace(spec, start=w.train_start, end=w.test_start)
            best = run_grid(base, train, {}, GRID, "total_return", executor=executor).rows[0]
            assert row.params == best.params and row.in_sample == best.metrics
            chosen = base.model_copy(update={"strategy_params": best.params})
            test = replace(spec, start=w.test_start, end=w.test_end)
            assert row.out_of_sample == compute_metrics(run_backtest(chosen, test))
            assert row.out_of_sample.start is not None and row.out_of_sample.start >= w.test_start
            growth *= 1 + row.out_of_sample.total_return_pct / 100
    assert result.out_of_sample_return_pct == pytest.approx((growth - 1) * 100)


def trip(pnl: int) -> RoundTrip:
    price = Decimal(100)
    return RoundTrip("BTCUSDT", Side.BUY, T0, price, T0, price + pnl, Decimal(1), Decimal(0))


def test_drawdown_of_a_trade_sequence_and_its_shuffles() -> None:
    trades = [trip(100), trip(-300), trip(50), trip(-50)]
    # 1000 -> 1100 (peak) -> 800 -> 850 -> 800: deepest fall 300 / 1100
    assert drawdown_of(Decimal(1000), trades) == pytest.approx(300 / 1100 * 100)
    shuffled = shuffled_drawdowns(Decimal(1000), trades, 200, seed=3)
    assert shuffled == shuffled_drawdowns(Decimal(1000), trades, 200, seed=3)
    worst = (300 + 50) / 1000 * 100  # both losses first, from the starting peak
    best = 300 / 1100 * 100  # e.g. +100, -50, +50, -300: never more than the one big loss
    assert max(shuffled) == pytest.approx(worst) and min(shuffled) == pytest.approx(best)
    assert Band.of([5.0, 1.0, 3.0, 2.0, 4.0]) == Band(1.0, 3.0, 5.0)


def test_perturbed_candles_stay_candles_at_their_own_precision(tmp_path: Path) -> None:
    candles = list(read_candles(walk(tmp_path / "w.csv", 300), "BTCUSDT"))
    noisy = list(perturbed(iter(candles), seed=7, bps=50))
    assert noisy == list(perturbed(iter(candles), seed=7, bps=50))
    moved = 0
    for old, new in zip(candles, noisy, strict=True):
        assert new.high >= max(new.open, new.close) and new.low <= min(new.open, new.close)
        assert new.volume == old.volume and new.open_time == old.open_time
        assert new.close.as_tuple().exponent == old.close.as_tuple().exponent
        moved += new.close != old.close
    assert moved > 200


def test_monte_carlo_is_seeded_and_noise_below_a_tick_changes_nothing(tmp_path: Path) -> None:
    spec = BacktestSpec(walk(tmp_path / "w.csv", 600), "BTCUSDT")
    chosen = settings(tmp_path)
    base = run_backtest(chosen, spec)
    with LocalProcesses(2) as executor:
        # 0.0001 bps of a 100.00 price is far below its 0.01 tick: every price rounds back
        silent = run_monte_carlo(chosen, spec, base, executor, runs=3, perturb_bps=0.0001)
        assert {path.return_pct for path in silent.perturbed} == {silent.base.return_pct}
        noisy = run_monte_carlo(chosen, spec, base, executor, runs=6, seed=2, perturb_bps=20)
        again = run_monte_carlo(chosen, spec, base, executor, runs=6, seed=2, perturb_bps=20)
    assert noisy == again
    assert len({path.return_pct for path in noisy.perturbed}) > 1
    band = noisy.perturbed_return
    assert band.low <= band.median <= band.high


def cli(tmp_path: Path, *extra: str) -> list[str]:
    data = walk(tmp_path / "w.csv", 1200)
    return ["--strategy", "ema_cross", "--data", str(data), "--symbol", "BTCUSDT",
            "--no-progress", *extra]  # fmt: skip


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_the_command_line_reports_both_as_json(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = ["--grid", "fast_period=2,3", "--grid", "slow_period=5,8"]
    argv = cli(data_dir, *grid, "--walk-forward", "6h:4h", "--output", "json", "--workers", "2")
    assert run_backtest_command(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["windows"]) == 3 and "out_of_sample_return_pct" in document
    argv = cli(data_dir, "--param", "fast_period=2", "--param", "slow_period=5",
               "--monte-carlo", "4", "--output", "json", "--workers", "2")  # fmt: skip
    assert run_backtest_command(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["runs"] == 4 and len(document["perturbed"]) == 4
    argv = cli(data_dir, "--search", "fast_period=2..4", "--search", "slow_period=6..9",
               "--optimize", "4", "--output", "json", "--workers", "2")  # fmt: skip
    assert run_backtest_command(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["trials"] == 4 and document["storage"].endswith("optuna.sqlite3")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--walk-forward", "6h:4h"], "--walk-forward needs --grid"),
        (["--grid", "fast_period=2,3", "--walk-forward", "6h"], "expected TRAIN:TEST"),
        (["--grid", "fast_period=2,3", "--walk-forward", "30d:7d"], "shorter than one"),
        (["--grid", "fast_period=2,3", "--monte-carlo", "5"], "drop --grid"),
        (["--monte-carlo", "0"], "between 1 and 100000"),
        (["--monte-carlo", "5", "--output", "csv"], "use table or json"),
        (["--monte-carlo", "5", "--perturb-bps", "-1"], "--perturb-bps"),
        (["--search", "fast_period=2..9"], "--search is a range for --optimize"),
        (["--optimize", "5", "--monte-carlo", "5"], "one research option at a time"),
        (["--optimize", "0", "--search", "fast_period=2..9"], "between 1 and 100000"),
        (["--optimize", "5"], "--optimize needs a search space"),
        (["--optimize", "5", "--search", "fast_period=9..2"], "LOW < HIGH"),
    ],
)
def test_bad_research_options_are_one_line_and_exit_2(
    data_dir: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert run_backtest_command(cli(data_dir, *extra)) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("tui-trader backtest: ") and message in error[-1]


class NotedAdvance(Advance):
    def __init__(self) -> None:
        super().__init__()
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        self.notes.append(text)


def test_results_stream_into_the_bar_as_the_best_so_far(tmp_path: Path) -> None:
    spec = BacktestSpec(walk(tmp_path / "w.csv", 600), "BTCUSDT")
    chosen = settings(tmp_path, strategy_params={})
    advance = NotedAdvance()
    with LocalProcesses(2) as local:
        watched = Watched(local, advance, BestSoFar("total_return", list(GRID)))
        result = run_grid(chosen, spec, {}, GRID, "total_return", executor=watched)
    best = result.rows[0]
    assert advance.notes and 1 <= len(advance.notes) <= len(result.rows)
    expected = " ".join(f"{key}={best.params[key]}" for key in GRID)
    assert advance.notes[-1] == (
        f"best total_return {best.metrics.total_return_pct:.4g} ({expected})"
    )
    median = MedianReturn()
    figures = [PathFigures(r, 1.0, 3) for r in (1.0, -3.0, 2.0)]
    assert [median.seen(None, f) for f in figures][-1] == "median return +1.00% of 3"
    assert median.seen(None, "not a figure") is None
