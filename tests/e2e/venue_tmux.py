"""What the tmux runs on Upbit's and Alpaca's doubles check alike, once the venue's first
price is on screen: the header names the venue where there is room (on the feed line at
80×24), and `s`, `k` (cancelled) and `q` (confirmed) behave as on Binance."""

import asyncio

from tests.e2e.test_tmux import Tmux


def assert_venue_header(session: Tmux, screen: str, venue: str) -> None:
    """`venue` as the header shows it (Upbit); its feed is named in lower case."""
    first, feed = screen.splitlines()[0].strip(), venue.lower()
    if session.size == (80, 24):
        assert first.startswith("PAPER  IDLE") and feed in screen.splitlines()[1], screen
    else:
        assert first.startswith(f"PAPER · {venue}  IDLE") and feed in first, screen


async def start_cancel_a_kill_and_quit(session: Tmux) -> None:
    """`s` starts trading, `k` opens the kill dialog and Enter cancels it, `q` asks
    (trading runs) and Tab + Enter quits; the app exits 0."""
    wait = asyncio.to_thread  # the doubles serve on the caller's loop while tmux is polled
    session.keys("s")
    await wait(session.wait_for, "RUNNING", "ACTIVE")
    session.keys("k")
    await wait(session.wait_for, "KILL SWITCH", "Yes, activate kill switch")
    session.keys("Enter")  # Cancel has the focus
    await wait(session.wait_for, "KILL SWITCH", gone=True)
    session.keys("q")
    await wait(session.wait_for, "Trading is RUNNING")
    session.keys("Tab", "Enter")  # from Cancel to Quit
    assert await wait(session.exit_status) == 0
