"""The account panel's "Vs paper" row: live minus what the shadow paper broker got for the
same orders, coloured by its sign; absent when nothing was mirrored."""

from decimal import Decimal

from rich.text import Text

from tests.tui.test_positions_exchange_stop import PALETTE, VIEW
from tui_trader.snapshot import AccountView, DivergenceView
from tui_trader.tui.widgets.account import account_rows

ACCOUNT = AccountView(
    "USDT", Decimal(1000), Decimal(1000), Decimal(0), Decimal(0), Decimal(0), Decimal(0), Decimal(0)
)


def vs_paper(divergence: DivergenceView | None) -> Text | None:
    rows = dict(account_rows(ACCOUNT, VIEW, divergence))
    cells = rows.get("Vs paper")
    if cells is None:
        return None
    value = cells[1]
    assert isinstance(value, Text)
    return value


def test_a_live_shortfall_is_shown_down_coloured_with_the_order_count() -> None:
    view = DivergenceView(Decimal("-1.25"), Decimal(-1), Decimal("-0.25"), 12, 1, "…")
    value = vs_paper(view)
    assert value is not None
    assert value.plain == "-1.25 (12 ord)" and value.style == PALETTE.down


def test_no_row_without_mirrored_orders() -> None:
    assert vs_paper(None) is None
    assert vs_paper(DivergenceView(Decimal(0), Decimal(0), Decimal(0), 0, 0, "")) is None
