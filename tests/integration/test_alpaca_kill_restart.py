"""A kill that closes positions, carried over a restart (issue 17, Alpaca at night):
the restarted trader starts on paper, so its first proof reads the paper account and
says so; going live then owes the proof on the account the kill was for. Before, the
paper account's FLAT (verified) was the only verdict, and the Alpaca account, still
holding the shares with their close queued for the open, was never proven flat."""

from collections.abc import Callable
from pathlib import Path

from tests.integration import test_trader_alpaca_live as live
from tests.integration.test_trader_alpaca_live import (
    FAST_KILL_CHECK,
    NIGHT,
    OPEN_AT,
    THURSDAY_OPEN,
    OpenMarketClock,
    Venue,
    holding,
    live_on_alpaca,
    live_trader,
    until,
)
from tests.trader_support import running_engine
from tui_trader.domain.events import SafetyKind
from tui_trader.runtime.live_access import LIVE_PHRASE
from tui_trader.runtime.trader import Trader

alpaca, alpaca_keyring = live.venue, live.keyring  # the Alpaca doubles' fixtures
VERDICTS = (SafetyKind.FLAT_VERIFIED, SafetyKind.NOT_FLAT)


def verdicts(trader: Trader) -> list[str]:
    return [e.message for e in trader.history.safety if e.kind in VERDICTS]


def said(trader: Trader, *parts: str) -> bool:
    return any(all(part in message for part in parts) for message in verdicts(trader))


async def test_a_kill_carried_over_a_restart_is_proven_on_alpaca_once_live(
    alpaca: Venue, alpaca_keyring: Callable[[], None], tmp_path: Path
) -> None:
    exchange, clock = alpaca[0], OpenMarketClock(OPEN_AT)
    async with live_on_alpaca(alpaca, alpaca_keyring, tmp_path, clock, **FAST_KILL_CHECK) as trader:
        await holding(trader)
        clock.jump(NIGHT)
        await trader.kill(close_positions=True)
        await until(lambda: said(trader, "FLAT PENDING", "on the alpaca account"))
    restarted = live_trader(tmp_path, alpaca[1], clock=clock, **FAST_KILL_CHECK)
    async with running_engine(restarted) as again:
        await until(lambda: said(again, "on the paper account"))  # what it could read
        assert not said(again, "on the alpaca account")
        await again.enable_live(LIVE_PHRASE)
        await until(lambda: said(again, "FLAT PENDING", "on the alpaca account"))
        assert exchange.account.positions  # the shares are still held, protected
        clock.jump(THURSDAY_OPEN)
        await until(lambda: said(again, "FLAT (verified", "on the alpaca account"), 10)
        assert exchange.account.positions == {}
