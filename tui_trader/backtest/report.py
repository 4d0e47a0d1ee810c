"""The backtest report for people: rich tables (summary, monthly returns, best and worst
trades), an equity curve drawn in the terminal, and notes on the data (gaps, dropped
rows, refusals). Every table fits the console's width: on a narrow terminal (80 columns)
the least important columns are left out, and the table's caption names them."""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tui_trader.backtest.chart import area_chart
from tui_trader.backtest.metrics import Metrics, MonthlyReturn
from tui_trader.backtest.results import BacktestResult
from tui_trader.domain.enums import Side
from tui_trader.domain.money import quote_places
from tui_trader.journal.trades import RoundTrip

NONE = "—"
TOP_TRADES = 5
NOTES_SHOWN = 5  # gaps or dropped rows listed one by one; the rest are counted
MONTHS = tuple(range(1, 13))


def money(value: Decimal | None, places: int = 2) -> str:
    """Places: the quote asset's minor unit (domain/money.py): KRW has none."""
    return NONE if value is None else f"{value:,.{places}f}"


def pct(value: float | None) -> str:
    return NONE if value is None else f"{value:+.2f}%"


def ratio(value: float | None) -> str:
    return NONE if value is None else f"{value:.2f}"


def duration(value: timedelta | None) -> str:
    if value is None:
        return NONE
    minutes = int(value.total_seconds()) // 60
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    return f"{days}d {hours:02d}h{minutes:02d}m" if days else f"{hours}h{minutes:02d}m"


def when(value: datetime | None) -> str:
    return NONE if value is None else value.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class ReportColumn:
    """A report table column. On a narrow console the highest `priority` numbers are
    left out first (0: always shown); a `wrap` column (parameters) wraps its words and
    needs only its longest word on one line."""

    name: str
    priority: int = 0
    justify: str = "right"
    wrap: bool = False


def fitted_table(
    console: Console,
    title: str,
    columns: Sequence[ReportColumn],
    rows: Sequence[Sequence[RenderableType]],
) -> Table:
    """A table of the columns that fit `console.width`; its caption names the others."""

    def build(shown: list[int], measuring: bool) -> Table:
        table = Table(title=title)
        for index in shown:
            column = columns[index]
            words = (word for row in rows for word in str(row[index]).split())
            longest = max(map(len, words), default=0)
            table.add_column(
                column.name,
                justify="left" if column.justify == "left" else "right",
                no_wrap=not column.wrap,
                overflow="fold" if column.wrap else "ellipsis",
                min_width=max(longest, len(column.name)) if column.wrap else None,
                max_width=max(longest, len(column.name)) if column.wrap and measuring else None,
            )
        for row in rows:
            table.add_row(*(row[index] for index in shown))
        return table

    def natural(shown: list[int]) -> int:
        options = console.options.update_width(1 << 14)
        return Measurement.get(console, options, build(shown, measuring=True)).maximum

    shown = list(range(len(columns)))
    optional = [i for i, column in enumerate(columns) if column.priority > 0]
    for index in sorted(optional, key=lambda i: (-columns[i].priority, -i)):
        if natural(shown) <= console.width:
            break
        shown.remove(index)
    table = build(shown, measuring=False)
    left_out = [column.name for i, column in enumerate(columns) if i not in shown]
    if left_out:
        table.caption = f"not shown at this width: {', '.join(left_out)} (--output json/csv)"
    return table


def summary_table(result: BacktestResult, m: Metrics) -> Table:
    table = Table(
        title=f"{result.strategy} on {result.symbol} {result.interval}", show_header=False
    )
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    t, dd = m.trades, m.drawdown
    n = quote_places(result.symbol)
    recovered = "" if dd.recovered else " (not recovered)"
    rows = [
        ("period", f"{when(m.start)} → {when(m.end)} ({m.candles:,} candles)"),
        ("initial → final equity", f"{money(m.initial_equity, n)} → {money(m.final_equity, n)}"),
        ("net profit", money(m.net_profit, n)),
        ("total return", pct(m.total_return_pct)),
        ("annualized return", pct(m.annualized_return_pct)),
        ("Sharpe (daily, √365)", ratio(m.sharpe)),
        ("Sortino (daily, √365)", ratio(m.sortino)),
        ("Calmar", ratio(m.calmar)),
        ("max drawdown", f"{dd.pct:.2f}% over {duration(dd.duration)}{recovered}"),
        ("trades", str(t.count)),
        ("win rate", NONE if t.win_rate_pct is None else f"{t.win_rate_pct:.1f}%"),
        ("profit factor", ratio(t.profit_factor)),
        ("average win / loss", f"{money(t.average_win, n)} / {money(t.average_loss, n)}"),
        ("largest win / loss", f"{money(t.largest_win, n)} / {money(t.largest_loss, n)}"),
        ("average holding", duration(t.average_holding)),
        ("exposure", f"{m.exposure_pct:.1f}%"),
        ("fees paid", money(m.fees_paid, n)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def monthly_table(monthly: Sequence[MonthlyReturn], months: Sequence[int] = MONTHS) -> Table:
    """Returns per month of `months`, and for the whole year after December."""
    table = Table(title="monthly returns (%)")
    table.add_column("year", style="bold")
    for month in months:
        table.add_column(calendar.month_abbr[month], justify="right")
    if months[-1] == 12:
        table.add_column("year", justify="right", style="bold")
    by_year: dict[int, dict[int, float]] = {}
    for item in monthly:
        by_year.setdefault(item.year, {})[item.month] = item.return_pct
    for year, values in sorted(by_year.items()):
        growth = 1.0
        for value in values.values():
            growth *= 1 + value / 100
        cells = [_signed(values.get(month)) for month in months]
        total = [_signed((growth - 1) * 100)] if months[-1] == 12 else []
        table.add_row(str(year), *cells, *total)
    return table


def monthly_tables(monthly: Sequence[MonthlyReturn], console: Console) -> list[Table]:
    """One table of the twelve months, or two of six where twelve do not fit."""
    whole = monthly_table(monthly)
    options = console.options.update_width(1 << 14)
    if Measurement.get(console, options, whole).maximum <= console.width:
        return [whole]
    first = monthly_table(monthly, MONTHS[:6])
    second = monthly_table(monthly, MONTHS[6:])
    second.title = None
    return [first, second]


def _signed(value: float | None) -> Text:
    if value is None:
        return Text("")
    style = "green" if value > 0 else "red" if value < 0 else ""
    return Text(f"{value:+.2f}", style=style)


TRADE_TABLE_COLUMNS = (
    ReportColumn("entry", justify="left"),
    ReportColumn("exit", 3, justify="left"),  # the entry and how long it was held say it
    ReportColumn("side", 2, justify="left"),
    ReportColumn("qty", 4),
    ReportColumn("entry px", 1),
    ReportColumn("exit px", 1),
    ReportColumn("PnL"),
    ReportColumn("PnL %"),
    ReportColumn("held"),
)


def trades_table(title: str, trades: Sequence[RoundTrip], console: Console) -> Table:
    rows = [
        (
            when(trade.entry_time),
            when(trade.exit_time),
            "long" if trade.side is Side.BUY else "short",
            f"{trade.quantity.normalize():f}",
            f"{trade.entry_price.normalize():f}",
            f"{trade.exit_price.normalize():f}",
            _signed_money(trade.pnl, quote_places(trade.symbol)),
            f"{trade.pnl_pct:+.2f}%",
            duration(trade.holding),
        )
        for trade in trades
    ]
    return fitted_table(console, title, TRADE_TABLE_COLUMNS, rows)


def _signed_money(value: Decimal, places: int) -> Text:
    return Text(money(value, places), style="green" if value > 0 else "red" if value < 0 else "")


def equity_panel(result: BacktestResult, width: int) -> Panel:
    chart = "\n".join(area_chart(result.curve.equity, width=max(width - 20, 10), height=10))
    return Panel(chart or "no candles", title="equity (marked at each close)")


def notes(result: BacktestResult) -> list[str]:
    lines = []
    if result.gaps:
        missing = sum(gap.missing for gap in result.gaps)
        lines.append(f"{len(result.gaps)} gap(s) in the data, {missing} candle(s) missing:")
        lines += [
            f"  after {when(g.after)}: {g.missing} missing" for g in result.gaps[:NOTES_SHOWN]
        ]
    if result.dropped:
        lines.append(f"{len(result.dropped)} unusable row(s) dropped:")
        lines += [f"  {message}" for message in result.dropped[:NOTES_SHOWN]]
    counts = result.counts
    if counts.refusals:
        refused = ", ".join(f"{name} {n}" for name, n in sorted(counts.refusals.items()))
        lines.append(f"intents refused before the exchange: {refused}")
    if result.open_quantity:
        lines.append(f"position still open at the end: {result.open_quantity} (not a trade)")
    lines.append(
        f"{counts.signals} signals, {counts.intents} intents, {counts.orders} orders, "
        f"{counts.rejected} rejected, {counts.cancels} cancels, {len(result.fills)} fills"
    )
    return lines


def render_report(result: BacktestResult, metrics: Metrics, console: Console) -> None:
    by_pnl = sorted(result.trades, key=lambda trade: (trade.pnl, trade.exit_time))
    best = list(reversed(by_pnl[-TOP_TRADES:]))
    worst = by_pnl[:TOP_TRADES]
    parts: list[Table | Panel | Text] = [summary_table(result, metrics)]
    if metrics.monthly:
        parts += monthly_tables(metrics.monthly, console)
    if result.trades:
        parts += [
            trades_table("best trades", best, console),
            trades_table("worst trades", worst, console),
        ]
    parts.append(equity_panel(result, console.width))
    parts.append(Text("\n".join(notes(result)), style="dim"))
    console.print(Group(*parts))
