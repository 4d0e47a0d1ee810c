"""The backtest report (rich tables, terminal equity curve) and its JSON/CSV exports."""

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rich.console import Console

from tui_trader.backtest.chart import area_chart, downsample
from tui_trader.backtest.export import TRADE_COLUMNS, result_dict, to_json, trades_csv
from tui_trader.backtest.metrics import compute_metrics
from tui_trader.backtest.report import duration, render_report
from tui_trader.backtest.results import BacktestResult, EquityCurve, Gap, RunCounts
from tui_trader.clock import dt_to_ms
from tui_trader.domain.enums import Side
from tui_trader.journal.trades import RoundTrip

T0 = datetime(2024, 1, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def trip(pnl: int, hours: int) -> RoundTrip:
    entry = T0 + hours * HOUR
    return RoundTrip("BTCUSDT", Side.BUY, entry, Decimal(100), entry + HOUR,
                     Decimal(100 + pnl), Decimal(1), Decimal(0))  # fmt: skip


def sample_result() -> BacktestResult:
    curve = EquityCurve(start_ms=dt_to_ms(T0))
    for index, value in enumerate([104.0, 100.0, 98.0, 107.0, 112.0, 109.0]):
        curve.append(dt_to_ms(T0 + (index + 1) * 24 * HOUR), value, index % 2 == 0)
    pnls = [5, -3, 9, 1, -7, 2, 4]
    return BacktestResult(
        symbol="BTCUSDT",
        strategy="ema_cross",
        params={"fast_period": 9, "slow_period": 21},
        interval="1m",
        conditions={"order_type": "MARKET"},
        initial_equity=Decimal(100),
        final_equity=Decimal(109),
        fees_paid=Decimal("0.7"),
        open_quantity=Decimal("0.5"),
        fills=[],
        trades=[trip(pnl, i) for i, pnl in enumerate(pnls)],
        curve=curve,
        counts=RunCounts(candles=6, refusals=Counter({"max_orders_per_day": 2}), safety=Counter()),
        gaps=[Gap(T0, T0 + 10 * HOUR, 9)],
        dropped=["BTCUSDT: dropped market data: high 1 below low 2 (x.csv:7)"],
    )


def test_downsample_keeps_the_last_value_of_each_slice() -> None:
    assert downsample([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3) == [2.0, 4.0, 6.0]
    assert downsample([1.0, 2.0], 5) == [1.0, 2.0]


def test_area_chart_rows_and_levels() -> None:
    rows = area_chart([0.0, 1.0, 2.0], width=3, height=2)
    # levels 1, 1 + round(7.5) = 9, 16 of 16 eighths: bottom ▁ █ █, top blank ▁ █
    assert rows == ["2.00 │ ▁█", "0.00 │▁██"]
    assert area_chart([], width=10, height=3) == []
    flat = area_chart([5.0, 5.0], width=2, height=2)
    assert flat[-1].endswith("██") and flat[0].endswith("  ")


def test_duration_text() -> None:
    assert duration(timedelta(minutes=95)) == "1h35m"
    assert duration(timedelta(days=2, hours=3, minutes=4)) == "2d 03h04m"
    assert duration(None) == "—"


def test_report_shows_every_section() -> None:
    result = sample_result()
    out = io.StringIO()
    render_report(result, compute_metrics(result), Console(file=out, width=140))
    text = out.getvalue()
    for part in ("ema_cross on BTCUSDT 1m", "total return", "+9.00%", "monthly returns",
                 "best trades", "worst trades", "equity (marked at each close)",
                 "1 gap(s) in the data, 9 candle(s) missing", "x.csv:7",
                 "max_orders_per_day 2", "position still open at the end: 0.5"):  # fmt: skip
        assert part in text, part
    best = text[text.index("best trades") : text.index("worst trades")]
    assert best.index("9.00") < best.index("5.00") < best.index("4.00")  # largest first
    worst = text[text.index("worst trades") :]
    assert worst.index("-7.00") < worst.index("-3.00")


def test_monthly_table_splits_january_and_february() -> None:
    result = sample_result()
    out = io.StringIO()
    render_report(result, compute_metrics(result), Console(file=out, width=140))
    row = next(line for line in out.getvalue().splitlines() if line.startswith("│ 2024"))
    # Jan: 100 → 104 (the Jan 31 sample); Feb: 104 → 109; the year: +9 %
    assert "+4.00" in row and "+4.81" in row and "+9.00" in row


def test_json_export_round_trips_and_is_exact() -> None:
    result = sample_result()
    data = json.loads(to_json(result_dict(result, compute_metrics(result))))
    assert data["run"]["params"] == {"fast_period": 9, "slow_period": 21}
    assert data["metrics"]["final_equity"] == "109"
    assert data["metrics"]["trades"] == 7
    assert data["metrics"]["profit_factor"] == 2.1  # 21 / 10
    assert data["monthly_returns"][0]["month"] == "2024-01"
    assert data["gaps"] == [{"after": T0.isoformat(), "before": (T0 + 10 * HOUR).isoformat(),
                             "missing": 9}]  # fmt: skip
    assert data["trades"][0]["pnl"] == "5"
    assert data["counts"]["refusals"] == {"max_orders_per_day": 2}


def test_csv_export_has_the_journal_trade_columns() -> None:
    rows = list(csv.reader(io.StringIO(trades_csv(sample_result()))))
    assert tuple(rows[0]) == TRADE_COLUMNS
    assert rows[1] == ["BTCUSDT", "LONG", T0.isoformat(), "100", (T0 + HOUR).isoformat(),
                       "105", "1", "0", "5", "5.0000", "3600.0"]  # fmt: skip
    assert len(rows) == 8
