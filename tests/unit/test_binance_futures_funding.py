"""Paging through the income history (oldest first, no settlement lost when a page
ends inside a millisecond, none repeated) and the ledger of known settlements."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tui_trader.binance import futures_funding
from tui_trader.binance.futures_funding import FundingLedger, read_funding
from tui_trader.clock import dt_to_ms
from tui_trader.domain.portfolio import FundingFee

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T0_MS = 1767225600000


def fee(ms: int, ref: int, amount: str = "-0.05", asset: str = "USDT") -> FundingFee:
    return FundingFee(T0 + timedelta(milliseconds=ms), asset, Decimal(amount), "BTCUSDT", str(ref))


class History:
    """Income history as Binance pages it: from startTime inclusive, oldest first
    (ties by id), at most `limit` rows."""

    def __init__(self, fees: list[FundingFee]) -> None:
        self.fees = sorted(fees, key=lambda f: (f.ts, int(f.ref)))
        self.asked: list[tuple[int, int]] = []

    async def page(self, start_ms: int, limit: int) -> tuple[list[FundingFee], int]:
        self.asked.append((start_ms, limit))
        rows = [f for f in self.fees if dt_to_ms(f.ts) >= start_ms][:limit]
        return rows, len(rows)


def test_milliseconds_of_a_time_round_down() -> None:
    assert dt_to_ms(T0) == T0_MS
    assert dt_to_ms(T0 + timedelta(microseconds=999)) == T0_MS  # a start rounds down
    late = datetime(2026, 3, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert dt_to_ms(late) == 1772323200123


async def test_pages_oldest_first_without_losing_a_shared_millisecond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(futures_funding, "INCOME_PAGE", 3)
    # Two symbols settle in the same millisecond; a page of 3 ends between them.
    settled = [fee(0, 1), fee(10, 2), fee(20, 3), fee(20, 4), fee(30, 5), fee(30, 6), fee(40, 7)]
    history = History(settled)
    assert await read_funding(history.page, T0 + timedelta(milliseconds=5)) == settled[1:]
    assert history.asked == [
        (T0_MS + 5, 3),  # ids 2, 3, 4: full
        (T0_MS + 20, 3),  # 3, 4, 5 from the last time again: full
        (T0_MS + 30, 3),  # 5, 6, 7: full
        (T0_MS + 40, 3),  # 7: short, done
    ]


async def test_a_full_page_within_one_millisecond_moves_on() -> None:
    futures = History([fee(0, i) for i in range(1, 1001)] + [fee(1, 1001)])
    fees = await read_funding(futures.page, T0)
    assert [f.ref for f in fees] == [str(i) for i in range(1, 1002)]
    assert futures.asked == [(T0_MS, 1000), (T0_MS + 1, 1000)]


def test_ledger_announces_each_settlement_once_and_reads_on_from_the_newest() -> None:
    ledger = FundingLedger(T0)
    ledger.remember([fee(5, 1, "-1")])  # booked by someone else: never fresh, no total
    assert ledger.since == T0 + timedelta(milliseconds=5)
    first = ledger.fresh([fee(5, 1, "-1"), fee(8, 2), fee(8, 3, "0.5")])
    assert [f.ref for f in first] == ["2", "3"]
    assert ledger.fresh([fee(8, 3, "0.5"), fee(8, 2)]) == []
    later = ledger.fresh([fee(9, 4, "2", asset="BNFCR")])
    assert [f.ref for f in later] == ["4"]
    assert ledger.totals == {"USDT": Decimal("0.45"), "BNFCR": Decimal(2)}
    assert ledger.since == T0 + timedelta(milliseconds=9)
    ledger.remember([fee(1, 9)])  # an older one does not move the start back
    assert ledger.since == T0 + timedelta(milliseconds=9)
