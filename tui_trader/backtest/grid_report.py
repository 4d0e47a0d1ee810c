"""Grid search results: a ranked rich table, JSON or CSV, with the overfitting warning."""

from typing import Any

from rich.console import Console
from rich.table import Table

from tui_trader.backtest.export import metrics_dict, to_csv, to_json
from tui_trader.backtest.grid import GridResult
from tui_trader.backtest.report import pct, ratio
from tui_trader.strategies.base import show_value

SHOWN_COLUMNS = (
    "total_return_pct", "annualized_return_pct", "sharpe", "sortino", "calmar",
    "max_drawdown_pct", "trades", "win_rate_pct", "profit_factor", "fees_paid",
)  # fmt: skip


def _params_text(params: dict[str, Any]) -> str:
    return " ".join(f"{key}={show_value(value)}" for key, value in params.items())


def render_grid(result: GridResult, console: Console) -> None:
    table = Table(title=f"grid search ranked by {result.rank_by}")
    for name in ("rank", "parameters", "return", "annual", "Sharpe", "Sortino", "Calmar",
                 "max DD", "trades", "win rate", "PF"):  # fmt: skip
        table.add_column(name, justify="left" if name == "parameters" else "right")
    for rank, row in enumerate(result.rows, start=1):
        m = row.metrics
        table.add_row(
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
        )
    console.print(table)
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
