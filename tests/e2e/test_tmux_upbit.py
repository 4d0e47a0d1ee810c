"""Issue 17 as an operator meets it: `tui-trader` paper trading on Upbit (VENUE=upbit)
inside tmux, on the local Upbit doubles (REST and WebSocket on one 127.0.0.1 address),
at 80x24 and 160x48. The header names the venue; prices in won stream in; `s`, the kill
dialog and quitting work as on the demo."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.doubles.upbit_quotation import UpbitQuotation
from tests.doubles.upbit_stream import UpbitStream, upbit_venue, ws_url
from tests.e2e.test_tmux import TMUX, Tmux
from tests.e2e.venue_tmux import assert_venue_header, start_cancel_a_kill_and_quit

pytestmark = pytest.mark.e2e
BTC = "KRW-BTC"


@pytest.fixture(params=[(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def upbit_session(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Tmux, UpbitStream]]:
    if TMUX is None:
        pytest.skip("the tmux binary is not installed (.ci/run installs it with apt-get)")
    quotation, stream = UpbitQuotation(now=datetime.now(UTC)), UpbitStream()
    async with upbit_venue(quotation, stream) as url:
        env = {"VENUE": "upbit", "QUOTE_ASSET": "KRW", "SYMBOLS": "BTCKRW,ETHKRW",
               "PAPER_QUOTE_BALANCE": "100000000", "UPBIT_API_URL": url,
               "UPBIT_WS_URL": ws_url(url)}  # fmt: skip
        tmux = Tmux(tmp_path, request.param, args=(), env=env)
        tmux.start()
        try:
            yield tmux, stream
        finally:
            tmux.close()


async def test_paper_on_upbit_in_tmux(upbit_session: tuple[Tmux, UpbitStream]) -> None:
    session, stream = upbit_session
    wait = asyncio.to_thread  # the doubles serve on this loop while tmux is polled
    await wait(session.wait_for, "Prices", "BTCKRW", "ETHKRW", "PAPER", "IDLE", within=60)
    await stream.wait_subscribed(1)
    await stream.ticker(BTC, 90_000_000, "0.5", datetime.now(UTC))
    screen = await wait(session.wait_for, "90000000", "eq 100,000,000 KRW")
    assert_venue_header(session, screen, "Upbit")
    await start_cancel_a_kill_and_quit(session)
