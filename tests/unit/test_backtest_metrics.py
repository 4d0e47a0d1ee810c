"""Backtest metrics on equity curves small enough to check by hand."""

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.backtest.metrics import (
    annualized_return,
    compute_metrics,
    max_drawdown,
    period_closes,
    period_returns,
    sharpe_ratio,
    sortino_ratio,
    trade_stats,
)
from tui_trader.backtest.results import BacktestResult, EquityCurve, RunCounts
from tui_trader.clock import dt_to_ms
from tui_trader.domain.enums import Side
from tui_trader.journal.trades import RoundTrip

T0 = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def curve(points: list[tuple[datetime, float]], exposed: list[int] | None = None) -> EquityCurve:
    built = EquityCurve(start_ms=dt_to_ms(T0))
    flags = exposed or [0] * len(points)
    for (when, value), flag in zip(points, flags, strict=True):
        built.append(dt_to_ms(when), value, bool(flag))
    return built


def result(points: list[tuple[datetime, float]], **changes: object) -> BacktestResult:
    values: dict[str, object] = {
        "symbol": "BTCUSDT",
        "strategy": "ema_cross",
        "params": {},
        "interval": "1m",
        "conditions": {},
        "initial_equity": Decimal(100),
        "final_equity": Decimal(str(points[-1][1])),
        "fees_paid": Decimal("1.5"),
        "open_quantity": Decimal(0),
        "fills": [],
        "trades": [],
        "curve": curve(points),
        "counts": RunCounts(refusals=Counter(), safety=Counter()),
        "gaps": [],
        "dropped": [],
    }
    values.update(changes)
    return BacktestResult(**values)  # type: ignore[arg-type]


# Three UTC days closing at 110, 99, 108.9 from 100: daily returns +10 %, -10 %, +10 %.
THREE_DAYS = [
    (T0 + timedelta(hours=12), 104.0),
    (T0 + timedelta(hours=23, minutes=59), 110.0),
    (T0 + timedelta(days=1, hours=8), 105.0),
    (T0 + timedelta(days=1, hours=23, minutes=59), 99.0),
    (T0 + timedelta(days=2, hours=23, minutes=59), 108.9),
]


def test_daily_returns_use_the_last_equity_of_each_utc_day() -> None:
    closes = period_closes(curve(THREE_DAYS))
    assert [value for _, value in closes] == [110.0, 99.0, 108.9]
    assert [day.day for day, _ in closes] == [1, 2, 3]
    assert period_returns(100.0, closes) == pytest.approx([0.1, -0.1, 0.1])


def test_sharpe_and_sortino_of_known_daily_returns() -> None:
    daily = [0.1, -0.1, 0.1]
    # mean 1/30, sample sd 0.2/√3 → mean/sd = √3/6; × √365 = √1095 / 6
    assert sharpe_ratio(daily) == pytest.approx(math.sqrt(1095) / 6, rel=1e-12)
    # downside deviation √(0.01/3) → mean/dd = 1/√3; × √365 = √(365/3)
    assert sortino_ratio(daily) == pytest.approx(math.sqrt(365 / 3), rel=1e-12)


def test_ratios_need_two_days_and_some_variation() -> None:
    assert sharpe_ratio([0.1]) is None
    assert sharpe_ratio([0.01, 0.01]) is None  # no spread
    assert sortino_ratio([0.01, 0.02]) is None  # no losing day


def test_monthly_split_by_utc_calendar_month() -> None:
    points = [
        (datetime(2024, 1, 15, tzinfo=UTC), 105.0),
        (datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC), 110.0),
        (datetime(2024, 2, 10, tzinfo=UTC), 100.0),
        (datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC), 99.0),
        (datetime(2024, 3, 1, 0, 0, 59, tzinfo=UTC), 108.9),
    ]
    months = period_closes(curve(points), monthly=True)
    assert [(m.month, v) for m, v in months] == [(1, 110.0), (2, 99.0), (3, 108.9)]
    assert period_returns(100.0, months) == pytest.approx([0.1, -0.1, 0.1])


def test_max_drawdown_and_its_duration_until_recovery() -> None:
    values = [100.0, 120.0, 90.0, 110.0, 125.0, 100.0]
    points = [(T0 + i * HOUR, v) for i, v in enumerate(values, start=1)]
    drawdown = max_drawdown(curve(points), 100.0)
    assert drawdown.pct == pytest.approx(25.0)  # 120 → 90; 125 → 100 is only 20 %
    assert drawdown.peak_at == T0 + 2 * HOUR
    assert drawdown.duration == 3 * HOUR  # back above 120 at the 125 sample
    assert drawdown.recovered


def test_drawdown_not_recovered_runs_to_the_end() -> None:
    points = [(T0 + HOUR, 120.0), (T0 + 2 * HOUR, 80.0), (T0 + 5 * HOUR, 90.0)]
    drawdown = max_drawdown(curve(points), 100.0)
    assert drawdown.pct == pytest.approx(100 / 3)
    assert drawdown.duration == 4 * HOUR
    assert not drawdown.recovered


def test_drawdown_from_the_initial_equity_starts_at_the_first_open() -> None:
    drawdown = max_drawdown(curve([(T0 + HOUR, 90.0), (T0 + 2 * HOUR, 95.0)]), 100.0)
    assert drawdown.pct == pytest.approx(10.0)
    assert drawdown.peak_at == T0
    assert drawdown.duration == 2 * HOUR


def test_flat_curve_has_no_drawdown() -> None:
    drawdown = max_drawdown(curve([(T0 + HOUR, 100.0), (T0 + 2 * HOUR, 101.0)]), 100.0)
    assert (drawdown.pct, drawdown.peak_at, drawdown.recovered) == (0.0, None, True)


def test_annualized_return() -> None:
    assert annualized_return(1.21, timedelta(days=365)) == pytest.approx(21.0)
    assert annualized_return(1.21, timedelta(days=730)) == pytest.approx(10.0)
    assert annualized_return(1.5, timedelta(hours=23)) is None
    assert annualized_return(0.0, timedelta(days=10)) == -100.0


def trip(entry: Decimal, exit_: Decimal, hours: int, fees: Decimal = Decimal(0)) -> RoundTrip:
    return RoundTrip("BTCUSDT", Side.BUY, T0, entry, T0 + hours * HOUR, exit_, Decimal(1), fees)


def test_trade_statistics() -> None:
    trades = [
        trip(Decimal(100), Decimal(130), 1),
        trip(Decimal(100), Decimal(111), 2, fees=Decimal(1)),  # net +10
        trip(Decimal(100), Decimal(80), 3),
    ]
    stats = trade_stats(trades)
    assert stats.count == 3
    assert stats.win_rate_pct == pytest.approx(200 / 3)
    assert stats.profit_factor == pytest.approx(2.0)  # 40 / 20
    assert (stats.average_win, stats.average_loss) == (Decimal(20), Decimal(-20))
    assert (stats.largest_win, stats.largest_loss) == (Decimal(30), Decimal(-20))
    assert stats.average_holding == 2 * HOUR


def test_no_trades_and_no_losses() -> None:
    assert trade_stats([]).win_rate_pct is None
    only_win = trade_stats([trip(Decimal(100), Decimal(101), 1)])
    assert only_win.profit_factor is None
    assert only_win.average_loss is None


def test_compute_metrics_puts_it_together() -> None:
    year_later = T0 + timedelta(days=365)
    points = [(T0 + HOUR, 120.0), (T0 + 2 * HOUR, 90.0), (year_later, 121.0)]
    r = result(points, curve=curve(points, exposed=[1, 1, 0]))
    m = compute_metrics(r)
    assert (m.start, m.end, m.candles) == (T0, year_later, 3)
    assert m.net_profit == Decimal(21)
    assert m.total_return_pct == pytest.approx(21.0)
    assert m.annualized_return_pct == pytest.approx(21.0)
    assert m.drawdown.pct == pytest.approx(25.0)
    assert m.calmar == pytest.approx(21.0 / 25.0)
    assert m.exposure_pct == pytest.approx(200 / 3)
    assert m.fees_paid == Decimal("1.5")
    assert [(x.year, x.month) for x in m.monthly] == [(2024, 1), (2024, 12)]
    assert m.monthly[0].return_pct == pytest.approx(-10.0)  # Jan: 100 → 90
