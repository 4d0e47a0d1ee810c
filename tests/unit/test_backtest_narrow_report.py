"""Issue #14 item 7: the backtest and grid-search reports are readable at 80 columns: no
line is longer than the terminal, no table is cut silently (left-out columns are named)
and the winning parameters are shown whole."""

import io

from rich.console import Console
from test_backtest_report import sample_result

from tui_trader.backtest.grid import GridResult, GridRow
from tui_trader.backtest.grid_report import render_grid
from tui_trader.backtest.metrics import compute_metrics
from tui_trader.backtest.report import render_report

BEST = {"fast_period": 9, "slow_period": 21, "take_profit_pct": 2.5, "atr_mult": 1.5}


def rendered(width: int, draw: str) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None)
    result = sample_result()
    metrics = compute_metrics(result)
    if draw == "report":
        render_report(result, metrics, console)
    else:
        other = {"fast_period": 12, "slow_period": 34, "take_profit_pct": 3.0, "atr_mult": 2.0}
        grid = GridResult(
            "sortino",
            [GridRow(BEST, metrics), GridRow(other, metrics)],
            [({"fast_period": 9, "slow_period": 8}, "fast must be below slow")],
            "Overfitting warning: 2 parameter sets were tried on 6 candles.",
        )
        render_grid(grid, console)
    return out.getvalue().splitlines()


def header_cells(lines: list[str]) -> list[str]:
    return [c.strip() for line in lines if line.startswith("┃") for c in line.split("┃")]


def test_the_backtest_report_fits_80_columns_and_names_what_it_leaves_out() -> None:
    lines = rendered(80, "report")
    assert max(map(len, lines)) <= 80
    headers = header_cells(lines)
    assert not any("…" in cell for cell in headers), headers  # no header cut
    for month in ("Jan", "Jun", "Jul", "Dec"):  # twelve months in two tables of six
        assert month in headers
    assert "2024-01-30 02:00" in "\n".join(lines)  # a trade's entry, whole
    assert any("not shown at this width: exit, qty" in line for line in lines)


def test_the_backtest_report_at_160_columns_shows_every_column() -> None:
    lines = rendered(160, "report")
    assert not any("not shown" in line for line in lines)
    assert {"exit", "qty", "Jan", "Dec"} <= set(header_cells(lines))


def test_the_grid_report_at_80_columns_shows_the_winning_parameters_whole() -> None:
    lines = rendered(80, "grid")
    assert max(map(len, lines)) <= 80
    text = "\n".join(lines)
    for key, value in BEST.items():
        assert f"│ {key}={value} " in text  # wrapped by word in the table, never cut
    best = f"best by sortino: {' '.join(f'{k}={v}' for k, v in BEST.items())}"
    assert best in lines
    headers = header_cells(lines)
    assert "Sortino" in headers  # the ranking figure is never left out
    assert not any("…" in cell for cell in headers), headers
    assert any(line.strip().startswith("not shown at this width:") for line in lines)


def test_the_grid_report_at_160_columns_shows_every_figure() -> None:
    lines = rendered(160, "grid")
    assert not any("not shown" in line for line in lines)
    assert {"annual", "Sortino", "Calmar", "win rate", "PF"} <= set(header_cells(lines))
