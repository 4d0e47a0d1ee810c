"""prove_flat: the verdict after a kill, from what the venue answers."""

from datetime import UTC, datetime
from decimal import Decimal

from tui_trader.clock import SimulatedClock
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
