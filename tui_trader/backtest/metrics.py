"""Performance metrics of a backtest, from its equity curve and its round trips.

Definitions (money stays Decimal; ratios and percentages are float):
- Equity is sampled once per candle, at its close. The curve starts from the initial
  equity at the first candle's open.
- Total return = final / initial − 1. Annualized = (final / initial) ^ (365 days / span)
  − 1, span = first candle open → last candle close; not given below one day of data.
- Daily returns: the last equity of each UTC day (a candle belongs to the day of its
  close time) over the previous day's (the first day: over the initial equity).
- Sharpe = mean / sample standard deviation (n − 1) of the daily returns × √365; risk-free
  rate 0. Sortino = mean / downside deviation × √365, downside deviation =
  √(Σ min(r, 0)² / n) over all n daily returns. Both need ≥ 2 daily returns.
- Maximum drawdown = the largest (peak − equity) / peak over the curve. Its duration runs
  from that peak to the first sample back at or above it (or to the end: not recovered).
- Calmar = annualized return / maximum drawdown (both in %).
- Monthly returns: like daily ones, per UTC calendar month.
- Trades are FIFO round trips, net of their share of fees. Win rate = trades with PnL > 0 /
  all trades; profit factor = gross profit / gross loss (None without a losing trade).
- Exposure = candles closed with a position open / all candles.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from tui_trader.backtest.results import BacktestResult, EquityCurve
from tui_trader.clock import ms_to_dt
from tui_trader.journal.trades import RoundTrip

DAYS_PER_YEAR = 365
_YEAR_S = DAYS_PER_YEAR * 86400.0
_ANNUALIZE = math.sqrt(DAYS_PER_YEAR)
_DAY_MS = 86_400_000
_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class MonthlyReturn:
    year: int
    month: int
    return_pct: float


@dataclass(frozen=True, slots=True)
class Drawdown:
    pct: float
    peak_at: datetime | None  # None when the curve never fell below a peak
    duration: timedelta
    recovered: bool


@dataclass(frozen=True, slots=True)
class TradeStats:
    count: int
    win_rate_pct: float | None
    profit_factor: float | None
    average_win: Decimal | None
    average_loss: Decimal | None
    largest_win: Decimal | None
    largest_loss: Decimal | None
    average_holding: timedelta | None


@dataclass(frozen=True, slots=True)
class Metrics:
    start: datetime | None
    end: datetime | None
    candles: int
    initial_equity: Decimal
    final_equity: Decimal
    net_profit: Decimal
    total_return_pct: float
    annualized_return_pct: float | None
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    drawdown: Drawdown
    exposure_pct: float
    fees_paid: Decimal
    trades: TradeStats
    monthly: tuple[MonthlyReturn, ...]


def period_closes(curve: EquityCurve, monthly: bool = False) -> list[tuple[date, float]]:
    """The last equity of each UTC day (or month, keyed by its first day), in time order."""
    closes: list[tuple[date, float]] = []
    last_day = last_period = None
    for time_ms, value in zip(curve.times_ms, curve.equity, strict=True):
        day = time_ms // _DAY_MS
        if day != last_day:  # a date is built once per day, not once per candle
            last_day = day
            when = _EPOCH_DAY + timedelta(days=day)
            period = when.replace(day=1) if monthly else when
            if period != last_period:
                closes.append((period, value))
                last_period = period
                continue
        closes[-1] = (closes[-1][0], value)
    return closes


def period_returns(initial: float, closes: Sequence[tuple[date, float]]) -> list[float]:
    returns: list[float] = []
    previous = initial
    for _, value in closes:
        returns.append(value / previous - 1.0 if previous else 0.0)
        previous = value
    return returns


def sharpe_ratio(daily: Sequence[float]) -> float | None:
    if len(daily) < 2:
        return None
    spread = statistics.stdev(daily)
    return statistics.fmean(daily) / spread * _ANNUALIZE if spread > 0 else None


def sortino_ratio(daily: Sequence[float]) -> float | None:
    if len(daily) < 2:
        return None
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in daily) / len(daily))
    return statistics.fmean(daily) / downside * _ANNUALIZE if downside > 0 else None


def max_drawdown(curve: EquityCurve, initial: float) -> Drawdown:
    times, values = curve.times_ms, curve.equity
    peak, peak_index = initial, -1  # -1: the initial equity, before the first sample
    worst, worst_peak, worst_peak_index, trough = 0.0, initial, -1, -1
    for index, value in enumerate(values):
        if value >= peak:
            peak, peak_index = value, index
        elif peak > 0 and (peak - value) / peak > worst:
            worst, worst_peak, worst_peak_index, trough = (
                (peak - value) / peak,
                peak,
                peak_index,
                index,
            )
    if trough < 0:
        return Drawdown(0.0, None, timedelta(0), True)
    recovery = next((i for i in range(trough, len(values)) if values[i] >= worst_peak), None)
    peak_ms = times[worst_peak_index] if worst_peak_index >= 0 else curve.start_ms
    end_ms = times[recovery] if recovery is not None else times[-1]
    return Drawdown(
        worst * 100.0,
        ms_to_dt(peak_ms),
        timedelta(milliseconds=end_ms - peak_ms),
        recovery is not None,
    )


def annualized_return(ratio: float, span: timedelta) -> float | None:
    """Percent per year for a growth `ratio` over `span`; None below one day."""
    if span < timedelta(days=1):
        return None
    if ratio <= 0:
        return -100.0
    try:
        return (math.exp(math.log(ratio) * _YEAR_S / span.total_seconds()) - 1.0) * 100.0
    except OverflowError:
        return math.inf


def trade_stats(trades: Sequence[RoundTrip]) -> TradeStats:
    if not trades:
        return TradeStats(0, None, None, None, None, None, None, None)
    pnls = [trade.pnl for trade in trades]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    gross_loss = -sum(losses, Decimal(0))
    holding = sum((trade.holding for trade in trades), timedelta(0)) / len(trades)
    return TradeStats(
        count=len(trades),
        win_rate_pct=len(wins) / len(trades) * 100.0,
        profit_factor=float(sum(wins, Decimal(0)) / gross_loss) if gross_loss else None,
        average_win=sum(wins, Decimal(0)) / len(wins) if wins else None,
        average_loss=sum(losses, Decimal(0)) / len(losses) if losses else None,
        largest_win=max(wins) if wins else None,
        largest_loss=min(losses) if losses else None,
        average_holding=holding,
    )


def compute_metrics(result: BacktestResult) -> Metrics:
    curve = result.curve
    initial = float(result.initial_equity)
    start = ms_to_dt(curve.start_ms) if len(curve) else None
    end = ms_to_dt(curve.times_ms[-1]) if len(curve) else None
    ratio = float(result.final_equity / result.initial_equity) if result.initial_equity else 0.0
    annual = annualized_return(ratio, end - start) if start and end else None
    daily = period_returns(initial, period_closes(curve))
    months = period_closes(curve, monthly=True)
    drawdown = max_drawdown(curve, initial)
    return Metrics(
        start=start,
        end=end,
        candles=len(curve),
        initial_equity=result.initial_equity,
        final_equity=result.final_equity,
        net_profit=result.final_equity - result.initial_equity,
        total_return_pct=(ratio - 1.0) * 100.0,
        annualized_return_pct=annual,
        sharpe=sharpe_ratio(daily),
        sortino=sortino_ratio(daily),
        calmar=annual / drawdown.pct if annual is not None and drawdown.pct > 0 else None,
        drawdown=drawdown,
        exposure_pct=curve.exposed.count(1) / len(curve) * 100.0 if len(curve) else 0.0,
        fees_paid=result.fees_paid,
        trades=trade_stats(result.trades),
        monthly=tuple(
            MonthlyReturn(month.year, month.month, r * 100.0)
            for (month, _), r in zip(months, period_returns(initial, months), strict=True)
        ),
    )
