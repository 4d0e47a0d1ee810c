"""A venue's charges outside fills (Alpaca's regulatory fees): read from Alpaca's FEE
activities, booked on the portfolio once per activity, journaled once."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tui_trader.alpaca.fee_activities import charged_at, parse_fees
from tui_trader.alpaca.parse_orders import ParseError
from tui_trader.core.ledger import Portfolio
from tui_trader.domain.portfolio import VenueFee
from tui_trader.journal.store import Journal

REF = "20261202103012123::2c6f2f5e-8f4f-4a93-9a55-0d6d2c1a7a10"


def row(**changes: Any) -> dict[str, Any]:
    base = {"activity_type": "FEE", "id": REF, "date": "2026-12-02", "net_amount": "-0.27",
            "symbol": "AAPL", "description": "REG fee", "status": "executed"}  # fmt: skip
    return base | changes


def test_an_activity_id_is_new_york_time_to_the_millisecond() -> None:
    assert charged_at(REF) == datetime(2026, 12, 2, 15, 30, 12, 123000, tzinfo=UTC)  # EST
    summer = "20260701093000000::x"  # EDT: four hours behind UTC
    assert charged_at(summer) == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)


def test_fee_activities_read_as_charges_on_our_symbol_oldest_first() -> None:
    later = "20261202150000001::b"
    fees = parse_fees([row(id=later, net_amount="-0.01", description="TAF fee"), row()])
    assert [(f.ref, f.amount, f.symbol, f.kind, f.asset) for f in fees] == [
        (REF, Decimal("-0.27"), "AAPLUSD", "REG fee", "USD"),
        (later, Decimal("-0.01"), "AAPLUSD", "TAF fee", "USD"),
    ]
    assert parse_fees([row(symbol=None)])[0].symbol == ""  # a fee on no one stock


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"activity_type": "DIV"}, "activity_type 'DIV'"),
        ({"id": "not-a-time::x"}, "does not begin with"),
        ({"id": "20261399250000000::x"}, "month"),
        ({"net_amount": "1e999999"}, "net_amount"),
        ({"net_amount": None}, "net_amount"),
        ({"symbol": "AAPL; rm -rf"}, "symbol"),
    ],
)
def test_an_unusable_fee_activity_refuses_the_whole_reply(
    changes: dict[str, Any], said: str
) -> None:
    with pytest.raises(ParseError, match="unreadable Alpaca fee activity") as raised:
        parse_fees([row(), row(**changes)])
    assert said in str(raised.value)


def test_a_reply_that_is_no_list_is_refused() -> None:
    with pytest.raises(ParseError, match="expected a list"):
        parse_fees({"code": 40010001})


def fee(ref: str = REF, amount: str = "-0.27", asset: str = "USD") -> VenueFee:
    return VenueFee(datetime(2026, 12, 2, tzinfo=UTC), asset, Decimal(amount), "AAPLUSD",
                    ref, "REG fee")  # fmt: skip


def test_a_fee_takes_the_cash_and_counts_as_fees_paid_once() -> None:
    portfolio = Portfolio("USD", {"USD": Decimal(1000)})
    assert portfolio.apply_venue_fee(fee()) is True
    assert portfolio.apply_venue_fee(fee()) is False  # the same activity read again
    assert (portfolio.cash, portfolio.fees_paid) == (Decimal("999.73"), Decimal("0.27"))


@pytest.mark.parametrize(
    ("bad", "said"), [(fee(asset="KRW"), "in KRW, expected USD"), (fee(amount="NaN"), "finite")]
)
def test_a_fee_that_cannot_be_ours_changes_nothing(bad: VenueFee, said: str) -> None:
    portfolio = Portfolio("USD", {"USD": Decimal(1000)})
    with pytest.raises(ValueError, match=said):
        portfolio.apply_venue_fee(bad)
    assert (portfolio.cash, portfolio.fees_paid) == (Decimal(1000), Decimal(0))


async def test_a_fee_is_journaled_once_and_read_back_whole(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.db")
    await journal.open()
    try:
        journal.record_venue_fee(fee())
        journal.record_venue_fee(fee())  # a restart books it again: stored once
        journal.record_venue_fee(fee("20261202103012124::other", "-0.01"))
        await journal.flush()
        assert await journal.venue_fees() == [fee(), fee("20261202103012124::other", "-0.01")]
        later = datetime(2026, 12, 3, tzinfo=UTC)
        assert await journal.venue_fees(since=later) == []
    finally:
        await journal.close()
