"""Exchange stops under faults, against the exchange double's Algo Service: the trader
killed with SIGKILL while holding a position (the exchange's stop still closes it, and
the restart books that once), a placement whose reply is lost (adopted, not doubled), a
stop the exchange refuses (said, retried later, and an unprotected position is CRITICAL),
an algo-order list that cannot be read (nothing placed blind), and a kill with close
(flat is verified only once the stops are gone too)."""

import asyncio
import signal
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble, HttpFault
from tests.integration.conftest_binance import exchange_fixture  # noqa: F401
from tests.integration.test_exchange_stops import (
    algo_open,
    guarded,
    keeping_stops,
    open_guarded_long,
    open_long,
    stop_settings,
)
from tests.integration.test_exchange_stops_spot import legs as spot_legs
from tests.integration.test_exchange_stops_spot import long_btc, spot_settings
from tests.integration.test_trader_futures import until
from tests.trader_support import running_engine
from tui_trader.config import Settings
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyKind
from tui_trader.runtime.trader import Trader

STOP = ("STOP_MARKET", "SELL", "0.01", "49000")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return stop_settings(tmp_path, monkeypatch)


def stop_events(trader: Trader, severity: Severity | None = None) -> list[str]:
    return [
        e.message for e in trader.history.safety
        if e.kind is SafetyKind.EXCHANGE_STOP and severity in (None, e.severity)
    ]  # fmt: skip


@pytest.mark.fault("kill -9 while holding a futures position", "the exchange's stop closes it")
async def test_kill_9_leaves_the_position_protected_by_the_exchange(
    exchange: BinanceExchangeDouble, settings: Settings, tmp_path: Path
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.e2e.futures_stop_child", str(exchange.port),
        str(settings.data_dir), stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert child.stdout is not None
    try:
        async with asyncio.timeout(30):
            assert (await child.stdout.readline()).decode().strip() == "guarded"
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    assert STOP in algo_open(exchange)  # the stop outlives the process
    await exchange.futures.move_mark("BTCUSDT", "48800")
    assert exchange.futures.engine.position("BTCUSDT")[0] == 0
    async with running_engine(guarded(settings, exchange)) as restarted, keeping_stops(restarted):
        assert not restarted.core.parts.portfolio.held("BTCUSDT")
        assert restarted.core.parts.portfolio.cash == exchange.futures.engine.wallet
        assert any("while the trader was down" in m for m in stop_events(restarted))
        await until(lambda: algo_open(exchange) == [])  # the orphaned take-profit goes


@pytest.mark.fault(
    "a stop placement whose reply is lost (5xx)", "adopted by client id, not doubled"
)
async def test_a_lost_placement_reply_is_adopted_not_doubled(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    exchange.faults.http.append(HttpFault("/fapi/v1/algoOrder", "POST", status=503, after=True))
    async with running_engine(guarded(settings, exchange)) as trader, keeping_stops(trader):
        await open_guarded_long(trader, exchange)
        keeper = trader.exchange.guards.keeper
        assert keeper is not None
        await until(lambda: keeper.answered and len(keeper.held) == 2, seconds=5)
        await asyncio.sleep(0.3)
        assert len(algo_open(exchange)) == 2
        assert exchange.futures.algo.placed == 2


@pytest.mark.fault(
    "the exchange refuses the stop (would trigger at once)",
    "said, retried later; unprotected is CRITICAL until it holds",
)
async def test_a_refused_stop_is_said_retried_and_an_unprotected_position_is_critical(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    async with running_engine(guarded(settings, exchange)) as trader:
        await open_long(trader, exchange)
        exchange.futures.set_mark("BTCUSDT", "48990")  # under the 49000 stop already
        async with keeping_stops(trader):
            await until(lambda: any("refused" in m for m in stop_events(trader)))
            await until(lambda: bool(stop_events(trader, Severity.CRITICAL)))
            [critical] = stop_events(trader, Severity.CRITICAL)
            assert "BTCUSDT position has no exchange-side stop" in critical
            exchange.futures.set_mark("BTCUSDT", "50000")
            await until(lambda: STOP in algo_open(exchange))
            await until(lambda: any("protected by the exchange again" in m
                                    for m in stop_events(trader)))  # fmt: skip


@pytest.mark.fault("the exchange's algo order list cannot be read", "nothing placed blind")
async def test_no_stop_is_placed_before_the_exchange_s_stops_were_read(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    async with running_engine(guarded(settings, exchange)) as trader:
        await open_long(trader, exchange)
        for _ in range(3):
            exchange.faults.http.append(HttpFault("/fapi/v1/openAlgoOrders", "GET", status=500))
        async with keeping_stops(trader):
            await until(lambda: any("cannot read the exchange's guards" in m
                                    for m in stop_events(trader)))  # fmt: skip
            assert exchange.futures.algo.placed == 0
            await until(lambda: len(algo_open(exchange)) == 2)  # once it reads again
        assert len(stop_events(trader, Severity.WARNING)) == 1  # said once, not per retry


@pytest.mark.fault("kill with close while the exchange holds stops", "FLAT only once they are gone")
async def test_a_kill_with_close_proves_flat_including_the_exchange_s_stops(
    exchange: BinanceExchangeDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = stop_settings(
        tmp_path, monkeypatch, KILL_VERIFY_EVERY_S="0.1", KILL_VERIFY_DEADLINE_S="10"
    )
    exchange.futures.set_mark("BTCUSDT", "50000")
    async with running_engine(guarded(settings, exchange)) as trader, keeping_stops(trader):
        await open_guarded_long(trader, exchange)
        await trader.kill(close_positions=True)
        await until(lambda: trader.commands.flat.verdict is not None, seconds=10)
        verdict = trader.commands.flat.verdict
        assert verdict is not None and verdict.flat, verdict
        assert algo_open(exchange) == []
        assert exchange.futures.engine.position("BTCUSDT")[0] == 0


@pytest.mark.fault(
    "kill with close on spot while an OCO locks the coins", "OCO cancelled, sold, FLAT verified"
)
async def test_a_spot_kill_with_close_cancels_the_oco_sells_and_proves_flat(
    exchange: BinanceExchangeDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = spot_settings(tmp_path, monkeypatch)
    settings = settings.model_copy(update={"kill_verify_every_s": 0.1})
    exchange.engine.free = {"USDT": Decimal(10000)}
    exchange.set_price("BTCUSDT", "50000")
    async with long_btc(settings, exchange) as trader:
        await until(lambda: len(spot_legs(exchange)) == 2)
        await trader.kill(close_positions=True)
        await until(lambda: trader.commands.flat.verdict is not None, seconds=10)
        verdict = trader.commands.flat.verdict
        assert verdict is not None and verdict.flat, verdict
        assert spot_legs(exchange) == [] and not exchange.engine.free.get("BTC")
