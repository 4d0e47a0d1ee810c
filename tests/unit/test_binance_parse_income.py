"""USD-M income history rows → funding settlements: the FUNDING_FEE rows only, with
Binance's tranId as the settlement's ref, and a clear error for a malformed reply."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_income import parse_funding_income, parse_income_page
from tui_trader.domain.portfolio import FundingFee

T0 = datetime(2026, 1, 1, 8, tzinfo=UTC)
T0_MS = 1767254400000  # 2026-01-01 08:00:00 UTC


def row(income_type: str = "FUNDING_FEE", **fields: Any) -> dict[str, Any]:
    return {
        "symbol": "BTCUSDT",
        "incomeType": income_type,
        "income": "-0.05000000",
        "asset": "USDT",
        "info": income_type,
        "time": T0_MS,
        "tranId": 9689322392,
        "tradeId": "",
    } | fields


def test_funding_rows_become_settlements_and_other_income_is_skipped() -> None:
    rows = [
        row(),
        row("COMMISSION", income="-0.02", tradeId="2059192", tranId=9689322393),
        row(symbol="ETHUSDT", income="0.10", time=T0_MS + 1, tranId="427980082597228605"),
    ]
    assert parse_funding_income(rows) == [
        FundingFee(T0, "USDT", Decimal("-0.05"), "BTCUSDT", "9689322392"),
        FundingFee(
            datetime(2026, 1, 1, 8, 0, 0, 1000, tzinfo=UTC),
            "USDT",
            Decimal("0.10"),
            "ETHUSDT",
            "427980082597228605",  # a string tranId, as other Binance APIs send it
        ),
    ]
    fees, count = parse_income_page(rows)
    assert len(fees) == 2 and count == 3  # the page had 3 rows: it was not full at 3+
    assert parse_funding_income([]) == []


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ({"code": -1000}, "expected a list of rows"),
        ([row(income=-0.05)], "expected a decimal string"),
        ([row(income="NaN")], "amount .NaN. is not a finite number"),
        ([row(income="abc")], "income history row"),
        ([row(time="1767254400000")], "expected epoch milliseconds"),
        ([row(tranId=True)], "expected a transaction id"),
        ([row(tranId="")], "expected a transaction id"),
        ([row(tranId=-3)], "expected a transaction id"),
        ([row(symbol="")], "expected a non-empty string"),
        ([row(asset=None)], "expected a non-empty string"),
        ([{k: v for k, v in row().items() if k != "tranId"}], "'tranId'"),
        (["FUNDING_FEE"], "income history row"),
    ],
)
def test_malformed_replies_are_parse_errors(reply: Any, error: str) -> None:
    with pytest.raises(ParseError, match=error):
        parse_funding_income(reply)
    with pytest.raises(ParseError):
        parse_income_page(reply)
