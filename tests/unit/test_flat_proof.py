"""prove_flat: the verdict after a kill, from what the venue answers."""

from datetime import UTC, datetime
from decimal import Decimal

from tui_trader.clock import SimulatedClock
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.orders import Order
from tui_trader.runtime.flat_proof import VenueBook, prove_flat

CLOCK = SimulatedClock(datetime(2026, 12, 2, 6, 30, 5, tzinfo=UTC))
HELD = VenueBook((), (("BTCUSDT", Decimal("0.010")),))
FLAT = VenueBook((), ())


async def test_what_remains_is_closed_again_until_the_venue_is_flat() -> None:
    answers, retried = [HELD, HELD, FLAT], []

    async def read() -> VenueBook:
        return answers.pop(0)

    verdict = await prove_flat(read, retried.append, CLOCK, deadline_s=5, every_s=0.01)
    assert verdict.flat and verdict.text() == "FLAT (verified 06:30:05)"
    assert retried == [HELD, HELD]


async def test_a_venue_that_cannot_be_read_is_not_verified() -> None:
    async def read() -> VenueBook:
        raise ConnectionError("503 from /fapi/v2/positionRisk")

    verdict = await prove_flat(read, lambda _book: None, CLOCK, deadline_s=0.05, every_s=0.01)
    assert not verdict.flat
    assert verdict.text() == (
        "NOT FLAT: the venue could not be read (503 from /fapi/v2/positionRisk)"
    )


async def test_the_deadline_names_what_remains() -> None:
    async def read() -> VenueBook:
        return HELD

    verdict = await prove_flat(read, lambda _book: None, CLOCK, deadline_s=0.05, every_s=0.01)
    assert verdict.text() == "NOT FLAT: BTCUSDT 0.01"


def queued_close(symbol: str = "AAPLUSD") -> Order:
    at = CLOCK.now()
    return Order(
        "tt-close", "kill", symbol, Side.SELL, OrderType.MARKET, Decimal(3), None,
        OrderStatus.NEW, at, at, purpose=IntentPurpose.FLATTEN,
        reason="queued for the open at 2026-12-03 14:30 UTC (market closed: ...)",
    )  # fmt: skip


async def test_closes_queued_for_the_market_open_are_pending_not_a_failure() -> None:
    """A venue with market hours holds the kill's close for the open: FLAT PENDING at
    once, nothing retried; a position without a queued close, or an order still
    working, is retried as before."""
    waiting = VenueBook((), (("AAPLUSD", Decimal(3)),), queued=(queued_close(),))
    assert waiting.waits_for_open
    working = VenueBook((queued_close("MSFTUSD"),), waiting.positions, queued=waiting.queued)
    assert not working.waits_for_open
    other = VenueBook((), (("MSFTUSD", Decimal(1)),), queued=waiting.queued)
    assert not other.waits_for_open
    retried: list[VenueBook] = []

    async def read() -> VenueBook:
        return waiting

    verdict = await prove_flat(read, retried.append, CLOCK, deadline_s=5, every_s=0.01)
    assert verdict.pending and not verdict.flat and retried == []
    assert verdict.text() == (
        "FLAT PENDING, market closed: AAPLUSD 3, close tt-close (AAPLUSD SELL 3) "
        "queued for the open at 2026-12-03 14:30 UTC"
    )
