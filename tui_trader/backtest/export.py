"""Backtest results as JSON (everything) or CSV (the trade list), for other tools.

Money is written as exact decimal strings, times as ISO-8601 UTC, ratios as JSON numbers
(null when undefined, e.g. a Sharpe ratio without two days of data). Nothing depends on
the wall clock, so two runs of the same backtest export byte-identical files. The CSV
has the columns of `tui-trader export trades`, so live and backtest trades compare
directly."""

import csv
import io
import json
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tui_trader.backtest.metrics import Metrics
from tui_trader.backtest.results import BacktestResult
from tui_trader.domain.enums import Side
from tui_trader.journal.trades import RoundTrip

PCT = Decimal("0.0001")
TRADE_COLUMNS = (
    "symbol", "direction", "entry_time", "entry_price", "exit_time", "exit_price",
    "quantity", "fees", "pnl", "pnl_pct", "holding_seconds",
)  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _real(value: float | None) -> float | None:
    """JSON has no infinity or NaN: such a value is written as null."""
    return value if value is not None and math.isfinite(value) else None


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def trade_row(trade: RoundTrip) -> list[str]:
    return [
        trade.symbol,
        "LONG" if trade.side is Side.BUY else "SHORT",
        trade.entry_time.isoformat(),
        str(trade.entry_price),
        trade.exit_time.isoformat(),
        str(trade.exit_price),
        str(trade.quantity),
        str(trade.fees),
        str(trade.pnl),
        str(trade.pnl_pct.quantize(PCT)),
        str(trade.holding.total_seconds()),
    ]


def metrics_dict(m: Metrics) -> dict[str, Any]:
    t, dd = m.trades, m.drawdown
    return {
        "start": _iso(m.start),
        "end": _iso(m.end),
        "candles": m.candles,
        "initial_equity": _num(m.initial_equity),
        "final_equity": _num(m.final_equity),
        "net_profit": _num(m.net_profit),
        "total_return_pct": _real(m.total_return_pct),
        "annualized_return_pct": _real(m.annualized_return_pct),
        "sharpe": _real(m.sharpe),
        "sortino": _real(m.sortino),
        "calmar": _real(m.calmar),
        "max_drawdown_pct": _real(dd.pct),
        "max_drawdown_peak": _iso(dd.peak_at),
        "max_drawdown_seconds": _seconds(dd.duration),
        "max_drawdown_recovered": dd.recovered,
        "exposure_pct": _real(m.exposure_pct),
        "fees_paid": _num(m.fees_paid),
        "trades": t.count,
        "win_rate_pct": _real(t.win_rate_pct),
        "profit_factor": _real(t.profit_factor),
        "average_win": _num(t.average_win),
        "average_loss": _num(t.average_loss),
        "largest_win": _num(t.largest_win),
        "largest_loss": _num(t.largest_loss),
        "average_holding_seconds": _seconds(t.average_holding),
    }


def result_dict(result: BacktestResult, metrics: Metrics) -> dict[str, Any]:
    counts = result.counts
    return {
        "run": {
            "strategy": result.strategy,
            "params": result.params,
            "symbol": result.symbol,
            "interval": result.interval,
            **result.conditions,
        },
        "metrics": metrics_dict(metrics),
        "monthly_returns": [
            {"month": f"{m.year:04d}-{m.month:02d}", "return_pct": _real(m.return_pct)}
            for m in metrics.monthly
        ],
        "trades": [dict(zip(TRADE_COLUMNS, trade_row(t), strict=True)) for t in result.trades],
        "open_quantity": str(result.open_quantity),
        "gaps": [
            {"after": _iso(g.after), "before": _iso(g.before), "missing": g.missing}
            for g in result.gaps
        ],
        "dropped_rows": result.dropped,
        "counts": {
            "candles": counts.candles,
            "signals": counts.signals,
            "intents": counts.intents,
            "orders": counts.orders,
            "rejected": counts.rejected,
            "cancels": counts.cancels,
            "fills": len(result.fills),
            "refusals": dict(sorted(counts.refusals.items())),
            "safety_events": dict(sorted(counts.safety.items())),
        },
    }


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, allow_nan=False, default=str) + "\n"


def to_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def trades_csv(result: BacktestResult) -> str:
    return to_csv(TRADE_COLUMNS, [trade_row(trade) for trade in result.trades])
