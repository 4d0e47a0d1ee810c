"""Issue 17 as an operator meets it: `tui-trader` live on the local Upbit doubles inside
tmux at 80x24 (the double's fake keys in a seeded test keyring, the live token file
written, the phrase typed). The Orders tab's title reads `fills: stream`; the double
drops the private myOrder stream and refuses it for a while: the title turns to `fills:
polling since HH:MM UTC`; let back in, it reads `fills: stream` again, and the Safety
tab has the drop and the way back."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.doubles.upbit_exchange import UpbitExchangeDouble, live_upbit
from tests.doubles.upbit_stream import UpbitStream, ws_url
from tests.e2e.test_tmux import TMUX, Tmux
from tui_trader.runtime.live_access import LIVE_PHRASE, LIVE_TOKEN_FILE

pytestmark = pytest.mark.e2e
Session = tuple[Tmux, UpbitStream, UpbitExchangeDouble]


@pytest.fixture
async def live_session(tmp_path: Path) -> AsyncIterator[Session]:
    if TMUX is None:
        pytest.skip("the tmux binary is not installed (.ci/run installs it with apt-get)")
    async with live_upbit() as (stream, exchange, url):
        env = {
            "VENUE": "upbit", "QUOTE_ASSET": "KRW", "SYMBOLS": "BTCKRW,ETHKRW",
            "UPBIT_API_URL": url, "UPBIT_WS_URL": ws_url(url), "TRADING_MODE": "live",
            "PYTHON_KEYRING_BACKEND": "tests.doubles.memory_keyring.UpbitDoubleKeyring",
        }  # fmt: skip
        tmux = Tmux(tmp_path, (80, 24), args=(), env=env)
        tmux.data.mkdir(parents=True, exist_ok=True)
        (tmux.data / LIVE_TOKEN_FILE).write_text("yes\n")
        tmux.start()
        try:
            yield tmux, stream, exchange
        finally:
            tmux.close()


async def test_the_orders_tab_shows_fills_by_stream_then_polling_then_stream(
    live_session: Session,
) -> None:
    session, stream, exchange = live_session
    wait = asyncio.to_thread  # the doubles serve on this loop while tmux is polled
    await wait(session.wait_for, "Prices", "BTCKRW", "PAPER", "IDLE", within=60)
    await stream.wait_subscribed(1)
    session.keys("l")
    await wait(session.wait_for, "Live trading: step 1 of 2")
    session.keys("y")
    await wait(session.wait_for, "I_UNDERSTAND_LIVE_TRADING")
    session.keys(LIVE_PHRASE, "Enter")
    await wait(session.wait_for, "LIVE", within=30)
    session.keys("2")
    screen = await wait(session.wait_for, "Orders & fills · fills: stream", within=30)
    assert "polling" not in screen

    exchange.private.accepting = False  # dropped, and refused while it tries again
    await exchange.private.drop()
    screen = await wait(session.wait_for, "fills: polling since", "UTC (lost:")
    assert "OFFLINE" not in screen  # the market feed is fine: the header says so
    session.keys("1")  # another tab: the header still says how fills arrive
    screen = await wait(session.wait_for, "fills polling")
    assert "fills polling" in "\n".join(screen.splitlines()[:2])
    session.keys("2")

    exchange.private.accepting = True
    await wait(session.wait_for, "Orders & fills · fills: stream", within=30)
    session.keys("5")
    screen = await wait(session.wait_for, "Upbit private stream back", "Upbit private stream lost")
    session.keys("q")  # not trading: no question asked
    assert await wait(session.exit_status) == 0
