"""`tui-trader run --headless`: the trader without the terminal app, printing a compact
status line, stopping gracefully on Ctrl+C / SIGTERM with the journal flushed."""

import argparse
import asyncio
import signal
import sys
from datetime import datetime

from tui_trader.app.datadir import report_fixes
from tui_trader.app.log_files import configure_logging
from tui_trader.app.program_settings import ProgramSettings
from tui_trader.config import Settings
from tui_trader.domain.money import minor_units
from tui_trader.market.feed import FeedError
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.live_access import LIVE_PHRASE
from tui_trader.runtime.task_host import HostedTrader
from tui_trader.runtime.trader import Trader
from tui_trader.snapshot import TraderSnapshot
from tui_trader.strategies.base import StrategyParamError
from tui_trader.text_safety import printable

STATUS_EVERY_S = 1.0
EXIT_CONFIG = 2
EXIT_KILLED = 3


def status_line(snap: TraderSnapshot, now: datetime) -> str:
    """One line a second. `now` is the wall clock when printed: the snapshot is rebuilt
    only when something changed, so its own time would repeat."""
    account = snap.account
    last = snap.safety_events[0] if snap.safety_events else None
    last_text = printable(f"{last.kind}: {last.message}", 70) if last else "-"  # quotes replies
    state = printable(snap.trading_state, 60)
    if snap.flat_proof:
        state = f"{printable(snap.flat_proof, 60)} · {state}"
    places = minor_units(account.quote_asset)  # KRW has none: 10000000 KRW, not .00
    return (
        f"{now:%H:%M:%SZ} {snap.engine_state.value:<8} {snap.mode} "
        f"equity {account.equity:.{places}f} {account.quote_asset} "
        f"day {account.day_pnl:+.{places}f} ({account.day_pnl_pct:+.2f}%) "
        f"exp {account.exposure:.{places}f} "
        f"| pos {len(snap.positions)} | orders {len(snap.open_orders)} "
        f"| {state} "
        f"| last {last_text}"
    )


def _install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _one_pass_done(trader: Trader, replay: bool) -> None:
    """--once: a replay file to its end, or one closed candle per symbol."""
    if replay:
        await trader.feed_finished.wait()
        await trader.engine.drain()
        return
    await trader.all_symbols_candled.wait()


async def _print_status(trader: Trader) -> None:
    while True:
        print(status_line(trader.snapshot(), trader.wall_clock.now()), flush=True)
        await asyncio.sleep(STATUS_EVERY_S)


def live_refusal(settings: Settings, args: argparse.Namespace) -> str | None:
    """TRADING_MODE=live without the app's live modal: only on purpose, and only where
    live can happen; never a paper run that the journal would call live."""
    if settings.trading_mode != "live":
        return None
    if not getattr(args, "i_understand_live_trading", False):
        return (
            "TRADING_MODE=live without the app needs --i-understand-live-trading (and the "
            "live token file and keyring keys); not paper-trading instead"
        )
    if args.demo or args.replay is not None:
        return "live trading needs the venue's market: drop --demo / --replay"
    return None


async def go_live(trader: Trader) -> str | None:
    """The app's live gate without its modal (the flag stands for the typed phrase):
    the same checks, the reason when refused."""
    try:
        await trader.enable_live(LIVE_PHRASE)
    except ValueError as exc:
        return str(exc)
    return None


async def run_headless(program: ProgramSettings, args: argparse.Namespace) -> int:
    settings = program.core
    configure_logging(settings, program.ops.log_format, console=True)
    report_fixes()
    if refusal := live_refusal(settings, args):
        print(f"tui-trader: {refusal}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        trader = build_trader(
            settings,
            replay=args.replay,
            symbol=args.symbol,
            replay_speed=args.speed or 0.0,
            binance=None if args.demo or args.replay is not None else ExchangeSetup(),
            new_account=args.new_account,
            llm=program.llm,
            ops=program.ops,
        )
    except (FeedError, StrategyParamError) as exc:
        print(f"tui-trader: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    stop = asyncio.Event()
    _install_stop_signals(stop)
    async with HostedTrader(trader):
        if settings.trading_mode == "live" and (refused := await go_live(trader)):
            print(f"tui-trader: {refused}", file=sys.stderr)
            return EXIT_CONFIG
        try:
            await trader.start()
        except ValueError as exc:
            print(f"tui-trader: not started: {exc}", file=sys.stderr)
            return EXIT_KILLED
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(_print_status(trader))]
        if args.once or args.replay is not None:
            waiters.append(asyncio.create_task(_one_pass_done(trader, args.replay is not None)))
        if args.duration:
            waiters.append(asyncio.create_task(asyncio.sleep(args.duration)))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
    print(status_line(trader.snapshot(), trader.wall_clock.now()), flush=True)
    if trader.feed_error:
        print(f"tui-trader: market feed failed: {trader.feed_error}", file=sys.stderr)
        return 1
    return 0
