"""`tui-trader backtest` / `tui-trader data` argument handling: outputs and exit codes."""

import csv
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from tui_trader.backtest.cli import run_backtest_command, run_data_command
from tui_trader.backtest.export import TRADE_COLUMNS
from tui_trader.backtest.progress import bar, count_lines


def backtest(*args: str) -> int:
    return run_backtest_command(["--strategy", "ema_cross", "--no-progress", *args])


def test_json_output_to_a_file(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    args = ["--market-orders", "--fee", "0.002", "--param", "fast_period=3", "--output", "json"]
    assert backtest("--data", str(data), *args, "--file", str(out)) == 0
    result = json.loads(out.read_text())
    assert result["run"]["params"] == {"fast_period": 3, "slow_period": 21}
    assert result["run"]["fee_rate"] == "0.002"
    assert result["run"]["order_type"] == "MARKET"
    assert result["metrics"]["candles"] == 2000
    assert result["metrics"]["trades"] == len(result["trades"]) > 10
    assert result["counts"]["fills"] >= 2 * len(result["trades"])


def test_csv_output_is_the_trade_list(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert backtest("--data", str(data), "--output", "csv") == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert tuple(rows[0]) == TRADE_COLUMNS
    assert len(rows) > 5
    assert {row[1] for row in rows[1:]} == {"LONG"}


def test_table_output(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert backtest("--data", str(data), "--from", "2024-03-01T21:00", "--to", "2024-03-02") == 0
    out = capsys.readouterr().out
    for part in ("total return", "Sharpe", "max drawdown", "monthly returns", "best trades",
                 "worst trades", "equity (marked at each close)", "180 candles"):  # fmt: skip
        assert part in out


def test_parameter_file_from_the_data_dir(data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data" / "strategies"
    folder.mkdir(parents=True)
    (folder / "ema_cross.toml").write_text("fast_period = 4\nslow_period = 10\n")
    out = tmp_path / "r.json"
    assert backtest("--data", str(data), "--param", "slow_period=12", "--output", "json",
                    "--file", str(out)) == 0  # fmt: skip
    assert json.loads(out.read_text())["run"]["params"] == {"fast_period": 4, "slow_period": 12}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "fast_period=0"], "ema_cross: fast_period=0: must be >= 2"),
        (["--param", "speed=3"], "unknown parameter 'speed'"),
        (["--fee", "lots"], "FEE_RATE"),
        (["--symbol", "BTCEUR"], "SYMBOLS: BTCEUR is not quoted in QUOTE_ASSET=USDT"),
        (["--from", "2024-03-02", "--to", "2024-03-01"], "--from must be before --to"),
        (["--from", "soon"], "'soon' is not a date"),
        (["--grid", "fast_period=0,1"], "--grid fast_period=0"),
        (["--grid", "fast_period=3,5", "--verify"], "--verify checks a single run"),
    ],
)
def test_invalid_input_exits_2_naming_it(
    data: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert backtest("--data", str(data), *args) == 2
    assert message in capsys.readouterr().err


def test_bad_parameter_file_names_file_and_line(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "ema_cross.toml").write_text("fast_period = 3\nslow_period = = 9\n")
    assert backtest("--data", str(data)) == 2
    assert "strategies/ema_cross.toml, line 2: invalid TOML" in capsys.readouterr().err


def test_bad_csv_exits_2_naming_the_line(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = data.read_text().splitlines(keepends=True)
    lines[41] = "1709326860000,100,101,99\n"
    data.write_text("".join(lines))
    assert backtest("--data", str(data), "--output", "json") == 2
    err = capsys.readouterr().err
    assert f"{data}:42: expected 12 columns" in err


def test_missing_data_file(tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert backtest("--data", str(tmp_path / "nope.csv")) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err


def test_grid_search_ranks_and_warns(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "grid.json"
    assert backtest("--data", str(data), "--grid", "fast_period=3,5", "--grid", "slow_period=8,13",
                    "--rank-by", "total_return", "--workers", "2", "--output", "json",
                    "--file", str(out)) == 0  # fmt: skip
    result = json.loads(out.read_text())
    returns = [row["metrics"]["total_return_pct"] for row in result["results"]]
    assert len(returns) == 4 and returns == sorted(returns, reverse=True)
    assert [row["rank"] for row in result["results"]] == [1, 2, 3, 4]
    assert "Overfitting warning" in capsys.readouterr().err


def test_help_and_usage_errors_return_a_status() -> None:
    assert run_backtest_command(["--help"]) == 0
    assert run_backtest_command(["--data", "x.csv"]) == 2  # --strategy missing
    assert run_data_command(["download", "BTCUSDT", "1m", "--from", "2024-01-02",
                             "--to", "2024-01-01"]) == 2  # fmt: skip
    assert run_data_command(["download", "BTCUSDT", "7m", "--from", "2024-01-01",
                             "--to", "2024-01-02"]) == 2  # fmt: skip
    assert run_data_command(["upload"]) == 2


def test_progress_bar_draws_on_a_terminal_and_stays_quiet_otherwise(data: Path) -> None:
    assert count_lines(data) == 2000
    assert count_lines(data.with_name("missing.csv")) is None
    shown = io.StringIO()
    with bar(
        True, "backtest", 2000, Console(file=shown, force_terminal=True, width=100)
    ) as advance:
        advance(1000)
        advance(2000, 2000)
    assert "backtest" in shown.getvalue()
    quiet = io.StringIO()
    with bar(True, "backtest", 10, Console(file=quiet, width=100)) as advance:
        advance(5)
    assert quiet.getvalue() == ""
