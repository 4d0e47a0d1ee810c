"""Account and PnL: equity, cash, today's PnL, drawdown, fees, and every asset held."""

from rich.text import Text
from textual.app import ComposeResult

from tui_trader.domain.money import minor_units
from tui_trader.domain.portfolio import Balance
from tui_trader.snapshot import AccountView, DivergenceView, TraderSnapshot
from tui_trader.text_safety import printable
from tui_trader.tui import format as fmt
from tui_trader.tui.literal import literal
from tui_trader.tui.widgets.base import Cell, Column, KeyedTable, TablePanel, View

COLUMNS = (Column("Item", 10), Column("Value", 22))
ERROR_CHARS = COLUMNS[1][1]  # cut with "…" to the column; Safety holds the whole event


def account_rows(
    account: AccountView, view: View, divergence: DivergenceView | None = None
) -> list[tuple[str, tuple[Cell, ...]]]:
    palette = view.palette
    quote = account.quote_asset
    places = minor_units(quote)
    unrealized = account.unrealized_pnl
    drawdown_style = palette.down if account.drawdown_pct else ""
    values: list[tuple[str, Text]] = [
        ("Equity", Text(f"{fmt.money(account.equity, places)} {quote}", style="bold")),
        ("Cash", Text(f"{fmt.money(account.cash, places)} {quote}")),
        (
            "Today PnL",
            Text(fmt.signed(account.day_pnl, places), style=palette.direction(account.day_pnl)),
        ),
        ("Realized", Text(fmt.signed(account.realized_pnl, places))),
        ("Unrealized", Text(fmt.signed(unrealized, places), style=palette.direction(unrealized))),
        ("Drawdown", Text(f"{account.drawdown_pct:.2f}%", style=drawdown_style)),
        ("Fees paid", Text(f"{fmt.money(account.fees_paid, places + 2)} {quote}")),
    ]
    if account.funding:  # futures only: what funding settlements added or took
        values.append(
            ("Funding", Text(fmt.signed(account.funding), style=palette.direction(account.funding)))
        )
    if divergence is not None and divergence.orders:  # live minus what paper promised
        text = f"{fmt.signed(divergence.total)} ({divergence.orders} ord)"
        values.append(("Vs paper", Text(text, style=palette.direction(divergence.total))))
    values += [(printable(b.asset, 10), balance_text(b)) for b in account.balances]
    for _, value in values:
        value.justify = "right"
    return [(label, (label, value)) for label, value in values]


def balance_text(balance: Balance) -> Text:
    """Free, and what open orders hold (locked), of one asset."""
    text = Text(fmt.qty(balance.free))
    if balance.locked:
        text.append(f" +{fmt.qty(balance.locked)} locked", style="dim")
    return text


class AccountPanel(TablePanel):
    shown_version = -1

    def __init__(self) -> None:
        super().__init__(id="account", classes="panel tab-panel")
        self.border_title = "Account & PnL"

    def compose(self) -> ComposeResult:
        table = KeyedTable(COLUMNS, id="account-table")
        table.show_header = False
        table.cursor_type = "none"
        yield table

    def show(self, snapshot: TraderSnapshot, view: View) -> None:
        rows = engine_rows(snapshot, view) + account_rows(
            snapshot.account, view, snapshot.divergence
        )
        self.query_one(KeyedTable).sync(rows)


def engine_rows(snapshot: TraderSnapshot, view: View) -> list[tuple[str, tuple[Cell, ...]]]:
    """Failures counted against the limit that puts the engine in ERROR, and the last
    error: ERROR should never come as a surprise."""
    failures, limit = snapshot.failures, snapshot.failure_limit
    style = view.palette.critical if failures else ""
    rows: list[tuple[str, Text]] = [("Failures", Text(f"{failures} of {limit}", style=style))]
    if snapshot.last_error:  # it quotes exchange replies: literal, bounded
        rows.append(("Last error", literal(snapshot.last_error, style, ERROR_CHARS)))
    for _, value in rows:
        value.justify = "right"
    return [(label, (label, value)) for label, value in rows]
