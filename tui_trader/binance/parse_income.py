"""USD-M income history (GET /fapi/v1/income) → funding settlements. Each row is one
wallet movement; FUNDING_FEE rows carry the settlement's id (`tranId`, a number on
USD-M, a string on other Binance APIs), which is what makes a settlement seen twice
recognisable as the same one."""

from typing import Any

from tui_trader.binance.parse import WIRE_ERRORS, ParseError, dec, ms_to_utc
from tui_trader.domain.portfolio import FundingFee
from tui_trader.numbers import quote

FUNDING = "FUNDING_FEE"


def parse_funding_income(rows: Any) -> list[FundingFee]:
    """The FUNDING_FEE rows of an income history reply, in reply order (rows of any
    other income type are skipped); ParseError if the reply or a row is malformed."""
    if not isinstance(rows, list):
        raise ParseError(f"income history: expected a list of rows, got {quote(rows)}")
    try:
        return [_funding(row) for row in rows if row["incomeType"] == FUNDING]
    except WIRE_ERRORS as exc:
        raise ParseError(f"income history row: {exc}") from None


def _funding(row: Any) -> FundingFee:
    amount = dec(row["income"])
    if not amount.is_finite():
        raise ValueError(f"funding income {amount} is not a finite amount")
    return FundingFee(
        ms_to_utc(row["time"]), _name(row["asset"]), amount, _name(row["symbol"]), _ref(row)
    )


def _name(value: Any) -> str:
    if value.__class__ is not str or not value:
        raise TypeError(f"expected a non-empty string, got {quote(value)}")
    return str(value)


def _ref(row: Any) -> str:
    ref = row["tranId"]
    if ref.__class__ is int and ref > 0:
        return str(ref)
    if ref.__class__ is str and ref.isascii() and ref.isdigit():
        return str(ref)
    raise TypeError(f"expected a transaction id, got tranId={quote(ref)}")


def parse_income_page(rows: Any) -> tuple[list[FundingFee], int]:
    """`parse_funding_income`, and how many rows the page had (a full page means more
    may follow)."""
    return parse_funding_income(rows), len(rows)
