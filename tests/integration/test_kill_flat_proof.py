"""A kill that closes positions is followed by a proof read from the venue: FLAT
(verified hh:mm:ss) once the exchange shows no open order and no position on the traded
symbols, NOT FLAT (a CRITICAL event naming what remains) when the deadline passes first.
Against the paper exchange and the Binance USD-M double over REST."""

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration.conftest_binance import (  # noqa: F401
    exchange_fixture,
    futures_testnet_settings,
)
from tests.integration.test_trader_faults import holding_btc
from tests.integration.test_trader_futures import linked, market_buy, until
from tests.trader_support import feed, make_settings, opened, running_engine
from tui_trader.binance.futures_broker import BinanceFuturesBroker
from tui_trader.config import Settings
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyKind
from tui_trader.journal.status import read_status
from tui_trader.runtime.build_trader import journal_path
from tui_trader.runtime.trader import Trader
from tui_trader.safety.kill_switch import KillSwitch
from tui_trader.safety.trading_state import HoldReason, TradingMode

QUICK = {"KILL_VERIFY_EVERY_S": "0.05", "KILL_VERIFY_DEADLINE_S": "2"}


async def status_text(trader: Trader) -> str:
    """What `tui-trader status` prints, read from the journal like another process."""
    await trader.parts.journal.flush()
    report = await read_status(journal_path(trader.settings))
    return "\n".join(report.lines())


def verdict_events(trader: Trader) -> list[tuple[SafetyKind, Severity, str]]:
    kinds = (SafetyKind.FLAT_VERIFIED, SafetyKind.NOT_FLAT)
    return [(e.kind, e.severity, e.message) for e in trader.history.safety if e.kind in kinds]


async def test_a_paper_kill_with_close_is_verified_flat(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAX_SLIPPAGE_BPS="10000", **QUICK)
    async with running_engine(opened(settings)) as trader:
        events = await holding_btc(trader)
        assert trader.core.parts.portfolio.held("BTCUSDT") > 0
        await trader.kill(close_positions=True)
        assert trader.commands.flat.status() == "verifying flat…"
        while trader.commands.flat.running:  # the close fills on the next market events
            await feed(trader, events, 5)
            await asyncio.sleep(0.02)
        verdict = trader.commands.flat.verdict
        assert verdict is not None and verdict.flat
        assert trader.commands.flat.status().startswith("FLAT (verified ")
        [(kind, severity, message)] = verdict_events(trader)
        assert (kind, severity) == (SafetyKind.FLAT_VERIFIED, Severity.INFO)
        assert message == f"after the kill: {verdict.text()} on the paper account"
        assert f"after the last kill: {verdict.text()} on the paper account (read " in (
            await status_text(trader)
        )


async def test_a_kill_without_close_proves_nothing(tmp_path: Path) -> None:
    async with running_engine(opened(make_settings(tmp_path, **QUICK))) as trader:
        await trader.kill(close_positions=False)
        await asyncio.sleep(0.2)
        assert trader.commands.flat.status() == "" and verdict_events(trader) == []


@pytest.fixture
def futures_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return futures_testnet_settings(tmp_path, monkeypatch, **QUICK)


async def test_binance_confirms_the_close_over_rest(
    exchange: BinanceExchangeDouble, futures_settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(futures_settings, exchange)) as trader:
            assert isinstance(trader.engine.broker, BinanceFuturesBroker)
            trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
            await trader.start()
            assert await trader.engine.process(market_buy("0.01")) is not None
            await until(lambda: exchange.futures.engine.position("BTCUSDT")[0] == Decimal("0.01"))
            await trader.kill(close_positions=True)
            await until(lambda: not trader.commands.flat.running)
            assert exchange.futures.engine.position("BTCUSDT")[0] == 0
            assert trader.commands.flat.status().startswith("FLAT (verified ")
            assert [k for k, _s, _m in verdict_events(trader)] == [SafetyKind.FLAT_VERIFIED]


async def test_a_position_the_trader_cannot_close_is_reported_not_flat(
    exchange: BinanceExchangeDouble, futures_settings: Settings
) -> None:
    """Someone opened ETHUSDT by hand while the trader ran (no stream event reached it):
    the kill closes what the trader knows, the venue still shows the rest."""
    exchange.futures.set_mark("ETHUSDT", "3000")
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(futures_settings, exchange)) as trader:
            await trader.start()
            exchange.futures.engine.positions["ETHUSDT"] = (Decimal("-0.5"), Decimal("3000"))
            await trader.kill(close_positions=True)
            await until(lambda: not trader.commands.flat.running)
            [(kind, severity, message)] = verdict_events(trader)
            assert (kind, severity) == (SafetyKind.NOT_FLAT, Severity.CRITICAL)
            assert (
                message == "after the kill: NOT FLAT: ETHUSDT -0.5 on the binance-futures account"
            )
            assert trader.commands.flat.status() == "NOT FLAT: ETHUSDT -0.5"
            said = await status_text(trader)
            assert (
                "after the last kill: NOT FLAT: ETHUSDT -0.5 on the binance-futures account (read "
                in said
            )


async def test_status_never_says_running_while_the_engine_is_idle_or_killed(
    tmp_path: Path,
) -> None:
    async with running_engine(opened(make_settings(tmp_path, **QUICK))) as trader:
        idle = await status_text(trader)
        assert "RUNNING" not in idle and "REDUCING: engine not running" in idle
        await trader.start()
        assert "trading state: ACTIVE" in await status_text(trader)
        await trader.kill()
        killed = await status_text(trader)
        assert "RUNNING" not in killed and "trading state: HALTED: kill switch" in killed


async def test_the_running_audit_finds_a_silent_difference_and_holds_entries(
    exchange: BinanceExchangeDouble, futures_settings: Settings
) -> None:
    """Money moved on the account without a word on the stream (a transfer out): the
    periodic audit notices, says so, and entries wait until the books agree again."""
    settings = futures_settings.model_copy(update={"audit_every_min": 0.005})  # 0.3 s
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(settings, exchange)) as trader:
            tasks = dict(trader.edge_tasks())
            audit = asyncio.create_task(tasks["book-audit"]())
            try:
                await trader.start()
                state = trader.core.state
                await until(
                    lambda: (
                        trader.exchange.audit.audits >= 1
                        and state.held(HoldReason.RECONCILING) is None
                    )
                )
                assert state.mode is TradingMode.ACTIVE, state.headline  # the books agree
                exchange.futures.engine.wallet -= Decimal(500)
                await until(
                    lambda: trader.core.state.held(HoldReason.EXCHANGE_DISAGREES) is not None
                )
                assert trader.core.state.mode is TradingMode.REDUCING
                assert "USDT: exchange holds" in trader.snapshot().trading_state
                exchange.futures.engine.wallet += Decimal(500)
                await until(lambda: state.held(HoldReason.EXCHANGE_DISAGREES) is None)
                await until(lambda: state.mode is TradingMode.ACTIVE)
            finally:
                audit.cancel()


async def test_a_kill_cleared_from_another_shell_stops_the_flat_check(tmp_path: Path) -> None:
    """`tui-trader kill --clear --yes` while the proof still closes things: it stops, so
    nothing is cancelled or closed behind the operator's back once trading may resume."""
    settings = make_settings(
        tmp_path, MAX_SLIPPAGE_BPS="10000", KILL_VERIFY_EVERY_S="0.05", KILL_VERIFY_DEADLINE_S="30"
    )
    async with running_engine(opened(settings)) as trader:
        await holding_btc(trader)
        await trader.kill(close_positions=True)  # no market events: the close cannot fill
        watcher = asyncio.create_task(trader.commands.watch_kill_switch())
        try:
            await asyncio.sleep(0.3)
            assert trader.commands.flat.running
            KillSwitch(tmp_path).clear()  # what `tui-trader kill --clear --yes` does
            await until(lambda: trader.kill_state is None)
        finally:
            watcher.cancel()
        assert not trader.commands.flat.running and trader.commands.flat.verdict is None
        cleared = [e.message for e in trader.history.safety if e.kind == SafetyKind.KILL_SWITCH]
        assert cleared[0] == "kill switch cleared; the flat check was stopped before its verdict"
        await asyncio.sleep(0.2)
        assert verdict_events(trader) == []
