"""Grid search results: a ranked rich table, JSON or CSV, with the overfitting warning.
The table fits the console (at 80 columns the parameters wrap and the less telling
figures are left out, named in its caption); the winning parameters follow it in full."""

from dataclasses import replace
from typing import Any

from rich.console import Console
from rich.table import Table

from tui_trader.backtest.export import metrics_dict, to_csv, to_json
from tui_trader.backtest.grid import GridResult
from tui_trader.backtest.report import ReportColumn, fitted_table, pct, ratio
from tui_trader.strategies.base import show_value

SHOWN_COLUMNS = (
    "total_return_pct", "annualized_return_pct", "sharpe", "sortino", "calmar",
    "max_drawdown_pct", "trades", "win_rate_pct", "profit_factor", "fees_paid",
)  # fmt: skip


def _params_text(params: dict[str, Any]) -> str:
    return " ".join(f"{key}={show_value(value)}" for key, value in params.items())


# Left out first on a narrow console: the highest numbers; the ranking figure never.
GRID_COLUMNS = (
    ReportColumn("rank"),
    ReportColumn("parameters", justify="left", wrap=True),
    ReportColumn("return", 1),
    ReportColumn("annual", 5),
    ReportColumn("Sharpe", 2),
    ReportColumn("Sortino", 7),
    ReportColumn("Calmar", 8),
    ReportColumn("max DD", 3),
    ReportColumn("trades", 4),
    ReportColumn("win rate", 6),
    ReportColumn("PF", 9),
)
RANK_COLUMN = {
    "total_return": "return", "annualized_return": "annual", "sharpe": "Sharpe",
    "sortino": "Sortino", "calmar": "Calmar", "max_drawdown": "max DD",
    "win_rate": "win rate", "profit_factor": "PF",
}  # fmt: skip


def grid_table(result: GridResult, console: Console) -> Table:
    ranked_by = RANK_COLUMN.get(result.rank_by)
    columns = [replace(c, priority=0) if c.name == ranked_by else c for c in GRID_COLUMNS]
    rows = []
    for rank, row in enumerate(result.rows, start=1):
        m = row.metrics
        rows.append((
            str(rank),
            _params_text(row.params),
            pct(m.total_return_pct),
            pct(m.annualized_return_pct),
            ratio(m.sharpe),
            ratio(m.sortino),
            ratio(m.calmar),
            f"{m.drawdown.pct:.2f}%",
            str(m.trades.count),
            "—" if m.trades.win_rate_pct is None else f"{m.trades.win_rate_pct:.1f}%",
            ratio(m.trades.profit_factor),
        ))  # fmt: skip
    return fitted_table(console, f"grid search ranked by {result.rank_by}", columns, rows)


def render_grid(result: GridResult, console: Console) -> None:
    console.print(grid_table(result, console))
    if result.rows:
        console.print(f"best by {result.rank_by}: {_params_text(result.rows[0].params)}")
    for combo, reason in result.skipped:
        console.print(f"skipped {_params_text(combo)}: {reason}", style="dim")
    console.print(result.warning, style="bold yellow")


def grid_dict(result: GridResult) -> dict[str, Any]:
    return {
        "rank_by": result.rank_by,
        "warning": result.warning,
        "results": [
            {"rank": rank, "params": row.params, "metrics": metrics_dict(row.metrics)}
            for rank, row in enumerate(result.rows, start=1)
        ],
        "skipped": [{"params": combo, "reason": reason} for combo, reason in result.skipped],
    }


def grid_json(result: GridResult) -> str:
    return to_json(grid_dict(result))


def grid_csv(result: GridResult) -> str:
    keys = list(result.rows[0].params) if result.rows else []
    rows = []
    for rank, row in enumerate(result.rows, start=1):
        figures = metrics_dict(row.metrics)
        values = [show_value(row.params[key]).strip('"') for key in keys]
        rows.append([rank, *values, *(_cell(figures[name]) for name in SHOWN_COLUMNS)])
    return to_csv(["rank", *keys, *SHOWN_COLUMNS], rows)


def _cell(value: object) -> object:
    return "" if value is None else value
