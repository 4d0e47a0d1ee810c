"""Issue 17 as an operator meets it: `tui-trader` paper trading on Alpaca's market data
(VENUE=alpaca) inside tmux, on the local Alpaca doubles (bars, calendar and stream on one
127.0.0.1 address), at 80x24 and 160x48. The header names the venue and the account is
in dollars; a minute bar's price reaches the screen; `s`, the kill dialog and quitting
work as on the demo."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.alpaca_data import KEY_ID, SECRET
from tests.doubles.alpaca_stream import AlpacaStream, alpaca_venue, new_venue, stream_base
from tests.e2e.test_tmux import TMUX, Tmux
from tests.e2e.venue_tmux import assert_venue_header, start_cancel_a_kill_and_quit

pytestmark = pytest.mark.e2e


@pytest.fixture(params=[(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def alpaca_session(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Tmux, AlpacaStream]]:
    if TMUX is None:
        pytest.skip("the tmux binary is not installed (.ci/run installs it with apt-get)")
    venue = new_venue(datetime.now(UTC))
    async with alpaca_venue(venue) as url:
        env = {"VENUE": "alpaca", "QUOTE_ASSET": "USD", "SYMBOLS": "AAPLUSD,MSFTUSD",
               "ALPACA_DATA_URL": url, "ALPACA_TRADING_URL": url,
               "ALPACA_STREAM_URL": stream_base(url), "ALPACA_API_KEY_ID": KEY_ID,
               "ALPACA_API_SECRET_KEY": SECRET}  # fmt: skip
        tmux = Tmux(tmp_path, request.param, args=(), env=env)
        tmux.start()
        try:
            yield tmux, venue.stream
        finally:
            tmux.close()
            await venue.stream.drop()


async def test_paper_on_alpaca_in_tmux(alpaca_session: tuple[Tmux, AlpacaStream]) -> None:
    session, stream = alpaca_session
    wait = asyncio.to_thread  # the doubles serve on this loop while tmux is polled
    await wait(session.wait_for, "Prices", "AAPLUSD", "MSFTUSD", "PAPER", "IDLE", within=60)
    await stream.wait_subscribed(1)
    opened = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    await stream.bar("AAPL", opened, Decimal("187.43"))
    screen = await wait(session.wait_for, "187.43", "eq 10,000.00 USD")
    assert_venue_header(session, screen, "Alpaca")
    await start_cancel_a_kill_and_quit(session)
