"""Walk-forward and Monte Carlo results as a rich report and as JSON."""

import json
from dataclasses import asdict
from datetime import datetime, timedelta

from rich.console import Console
from rich.table import Table

from tui_trader.backtest.monte_carlo import Band, MonteCarloResult
from tui_trader.backtest.optimize import OptimizeResult
from tui_trader.backtest.walk_forward import WalkForwardResult


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}%"


def render_walk_forward(result: WalkForwardResult, console: Console) -> None:
    """One row per window; the chosen values under a header naming their keys."""
    keys = list(result.windows[0].params) if result.windows else []
    table = Table(title=f"Walk-forward: {len(result.windows)} windows, each choosing by "
                  f"{result.rank_by} on its train window")  # fmt: skip
    days = all(_midnight(row.window.test_start) for row in result.windows)
    span = result.windows[0].window if result.windows else None
    length = _span(span.test_end - span.test_start) if span else ""
    table.add_column(f"test {length}", no_wrap=True)
    table.add_column(" / ".join(keys) or "chosen")
    for column in ("in", "out", "trades", "max DD"):
        table.add_column(column, justify="right", no_wrap=True)
    table.caption = "UTC. in: the chosen set's return on its train window; out: on the test window."
    for row in result.windows:
        w, oos = row.window, row.out_of_sample
        table.add_row(
            f"{w.test_start:%Y-%m-%d}" if days else f"{w.test_start:%Y-%m-%d %H:%M}",
            "/".join(str(row.params[key]) for key in keys),
            _pct(row.in_sample.total_return_pct), _pct(oos.total_return_pct),
            str(oos.trades.count), f"{oos.drawdown.pct:.2f}%",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"Out-of-sample return, test windows compounded: "
        f"[bold]{_pct(result.out_of_sample_return_pct)}[/bold]; mean in-sample return of "
        f"the chosen sets: {_pct(result.in_sample_return_pct)} (the gap is what the search "
        "fitted to its own window)."
    )


def _midnight(when: datetime) -> bool:
    return when.hour == when.minute == when.second == when.microsecond == 0


def _span(span: timedelta) -> str:
    if span % timedelta(days=1) == timedelta(0):
        return f"{span.days}d"
    return f"{span // timedelta(minutes=1)}m"


def walk_forward_json(result: WalkForwardResult) -> str:
    windows = [
        {
            "train_start": row.window.train_start.isoformat(),
            "test_start": row.window.test_start.isoformat(),
            "test_end": row.window.test_end.isoformat(),
            "params": row.params,
            "in_sample_return_pct": row.in_sample.total_return_pct,
            "out_of_sample_return_pct": row.out_of_sample.total_return_pct,
            "out_of_sample_trades": row.out_of_sample.trades.count,
            "out_of_sample_drawdown_pct": row.out_of_sample.drawdown.pct,
        }
        for row in result.windows
    ]
    document = {
        "rank_by": result.rank_by,
        "windows": windows,
        "out_of_sample_return_pct": result.out_of_sample_return_pct,
        "in_sample_return_pct": result.in_sample_return_pct,
    }
    return json.dumps(document, indent=2, default=str) + "\n"


def _band(band: Band, unit: str = "%", places: int = 2) -> str:
    return " / ".join(f"{value:.{places}f}{unit}" for value in (band.low, band.median, band.high))


def render_monte_carlo(result: MonteCarloResult, console: Console) -> None:
    table = Table(title=f"Monte Carlo: {result.runs} runs, seed {result.seed} "
                  "(5th / median / 95th percentile)")  # fmt: skip
    table.add_column("test")
    table.add_column("this run", justify="right")
    table.add_column("band", justify="right")
    base = result.base
    table.add_row("trade order shuffled: max drawdown", f"{base.drawdown_pct:.2f}%",
                  _band(result.shuffled_drawdown))  # fmt: skip
    noise = f"candles ±{result.perturb_bps:g} bps"
    table.add_row(f"{noise}: return", f"{base.return_pct:.2f}%", _band(result.perturbed_return))
    table.add_row(f"{noise}: max drawdown", f"{base.drawdown_pct:.2f}%",
                  _band(result.perturbed_drawdown))  # fmt: skip
    table.add_row(f"{noise}: trades", str(base.trades), _band(result.perturbed_trades, "", 0))
    console.print(table)


def monte_carlo_json(result: MonteCarloResult) -> str:
    return json.dumps(asdict(result), indent=2) + "\n"


def render_optimize(result: OptimizeResult, console: Console, shown: int = 10) -> None:
    keys = list(result.rows[0].params) if result.rows else []
    table = Table(title=f"Optuna study {result.study}: best {min(shown, len(result.rows))} "
                  f"of {len(result.rows)} completed trials by {result.rank_by}")  # fmt: skip
    table.add_column("#", justify="right")
    table.add_column(" / ".join(keys) or "params")
    for column in (result.rank_by, "return", "max DD", "trades"):
        table.add_column(column, justify="right", no_wrap=True)
    for place, row in enumerate(result.rows[:shown], start=1):
        table.add_row(str(place), "/".join(_value(row.params[key]) for key in keys),
                      f"{row.value:.4g}", _pct(row.return_pct), f"{row.drawdown_pct:.2f}%",
                      str(row.trades))  # fmt: skip
    console.print(table)
    console.print(
        f"{result.new_trials} trials run now, {result.trials} in the study ({result.failed} "
        f"failed: refused or without a value); kept in {result.storage}. The same command "
        "resumes it. The best of many trials on one data set overstates what to expect: "
        "check it with --walk-forward."
    )


def _value(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def optimize_json(result: OptimizeResult) -> str:
    document = asdict(result)
    document["storage"] = str(result.storage)
    return json.dumps(document, indent=2) + "\n"


Research = WalkForwardResult | MonteCarloResult | OptimizeResult


def render_research(result: Research, console: Console) -> None:
    if isinstance(result, WalkForwardResult):
        render_walk_forward(result, console)
    elif isinstance(result, MonteCarloResult):
        render_monte_carlo(result, console)
    else:
        render_optimize(result, console)


def research_json(result: Research) -> str:
    if isinstance(result, WalkForwardResult):
        return walk_forward_json(result)
    if isinstance(result, MonteCarloResult):
        return monte_carlo_json(result)
    return optimize_json(result)
