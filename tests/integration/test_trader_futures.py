"""A real Trader on the exchange double's USD-M side (testnet, keys from the environment):
funding settlements are booked into the account and journaled exactly once, the
exchange's liquidation price reaches the positions panel, and a restart rebuilds the
wallet with the funding in it (no mismatch for reconciliation to report)."""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble, HttpFault
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration.conftest_binance import (  # noqa: F401
    exchange_fixture,
    futures_testnet_settings,
)
from tests.trader_support import START, entry_groups, only_stopped, running_engine
from tui_trader.binance.client import loopback_endpoints
from tui_trader.binance.futures_broker import BinanceFuturesBroker
from tui_trader.binance.venue_parts import Timing
from tui_trader.config import Settings
from tui_trader.domain.enums import IntentPurpose, OrderType, Severity, Side
from tui_trader.domain.market import Candle
from tui_trader.domain.orders import OrderIntent
from tui_trader.domain.portfolio import FundingFee
from tui_trader.execution.commands import CancelRequest
from tui_trader.notify.format import orders_text
from tui_trader.resilience.retry import Backoff
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.trader import Trader

FAST = Timing(
    request_timeout_s=1.0,
    ws_timeout_s=1.0,
    socket_poll_s=0.1,
    backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
)


def linked(settings: Settings, exchange: BinanceExchangeDouble) -> Trader:
    setup = ExchangeSetup(loopback_endpoints(exchange.port), FAST)
    return build_trader(settings, start=START, binance=setup, **entry_groups())


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def market_buy(quantity: str) -> OrderIntent:
    return OrderIntent(
        intent_id="entry-1",
        symbol="BTCUSDT",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal(quantity),
        price=None,
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=Decimal(50000),
        reason="test",
    )


@pytest.fixture
def futures_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return futures_testnet_settings(tmp_path, monkeypatch)


async def test_funding_and_liquidation_reach_the_account_and_survive_a_restart(
    exchange: BinanceExchangeDouble, futures_settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(futures_settings, exchange)) as trader:
            assert isinstance(trader.engine.broker, BinanceFuturesBroker)
            portfolio = trader.core.parts.portfolio
            assert portfolio.cash == Decimal(10000)
            trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
            await trader.start()
            placed = await trader.engine.process(market_buy("0.01"))
            assert placed is not None
            await until(lambda: trader.core.parts.portfolio.held("BTCUSDT") == Decimal("0.01"))
            # positionRisk is asked again after the fill: 50000 · (1 - (1/5 - 0.004))
            liquidation = Decimal("40200")
            await until(lambda: trader.core.parts.portfolio.positions["BTCUSDT"].liquidation_price
                        == liquidation)  # fmt: skip
            [row] = trader.snapshot().positions
            assert row.liquidation_distance_pct == Decimal("19.6")  # (50000 - 40200) / 50000

            wallet = trader.core.parts.portfolio.cash  # 10000 minus the entry's 0.04% fee
            assert wallet == Decimal("9999.8")
            await exchange.futures.funding("BTCUSDT", "0.0001")  # the long pays 0.05
            await exchange.futures.funding("BTCUSDT", "-0.0002")  # ...then receives 0.10
            await until(lambda: trader.core.parts.portfolio.funding == Decimal("0.05"))
            assert trader.core.parts.portfolio.cash == wallet + Decimal("0.05")
            assert trader.snapshot().account.funding == Decimal("0.05")
            await trader.parts.journal.flush()
            fees = await trader.parts.journal.funding_fees()
            assert [(f.asset, f.amount) for f in fees] == [
                ("USDT", Decimal("-0.05")),
                ("USDT", Decimal("0.10")),
            ]
            assert all(isinstance(f, FundingFee) for f in fees)
            assert exchange.futures.engine.wallet == wallet + Decimal("0.05")

        async with running_engine(linked(futures_settings, exchange)) as restarted:
            portfolio = restarted.core.parts.portfolio
            assert portfolio.cash == wallet + Decimal("0.05")  # fills and funding replayed
            assert portfolio.funding == Decimal("0.05")
            assert portfolio.positions["BTCUSDT"].liquidation_price == liquidation
            assert "reconciliation" not in [e.kind for e in restarted.history.safety]
            assert only_stopped(restarted)

        # Down again; a settlement happens meanwhile (nobody hears the stream).
        exchange.futures.settle_funding_silently("BTCUSDT", "0.0004")  # the long pays 0.20
        async with running_engine(linked(futures_settings, exchange)) as third:
            portfolio = third.core.parts.portfolio
            assert portfolio.funding == Decimal("-0.15")  # found in the income history
            assert portfolio.cash == wallet - Decimal("0.15") == exchange.futures.engine.wallet
            assert "reconciliation" not in [e.kind for e in third.history.safety]
            assert only_stopped(third)
            await third.parts.journal.flush()
            assert len(await third.parts.journal.funding_fees()) == 3


async def test_a_binance_account_waiting_to_replace_the_simulated_one_books_nothing_into_it(
    exchange: BinanceExchangeDouble, futures_settings: Settings
) -> None:
    """Binance answers while the engine trades the simulated market: the move waits, and
    the waiting account's funding must not land in the paper wallet."""
    exchange.faults.http.append(HttpFault("/fapi/v1/exchangeInfo", "GET", status=503))
    exchange.futures.set_mark("BTCUSDT", "50000")
    exchange.futures.engine.positions["BTCUSDT"] = (Decimal("0.1"), Decimal("50000"))
    exchange.futures.engine.margin_type["BTCUSDT"] = "ISOLATED"  # as the broker wants it
    setup = ExchangeSetup(
        loopback_endpoints(exchange.port),
        replace(FAST, retry=Backoff(base_s=0.05, max_s=0.1, jitter=0.5)),
    )
    with keyring_installed(MemoryKeyring()):
        trader = build_trader(futures_settings, start=START, binance=setup, **entry_groups())
        async with running_engine(trader) as t:
            paper = t.core.parts.portfolio
            assert t.exchange.retry is not None and paper.cash == 10000
            await t.start()  # the move waits for the engine to stop
            retry = asyncio.create_task(t.exchange.retry.run())
            await until(lambda: "exchange_back" in [e.kind for e in t.history.safety])
            await exchange.futures.funding("BTCUSDT", "0.001")  # the testnet long pays 5
            await asyncio.sleep(0.3)
            assert paper.cash == 10000 and paper.funding == 0 and paper.positions == {}
            await t.stop()
            await until(lambda: t.exchange.retry is None and t.exchange.reconciler is not None)
            await asyncio.wait_for(retry, 5)
            account = t.core.parts.portfolio
            assert account is not paper and account.held("BTCUSDT") == Decimal("0.1")
            assert account.cash == exchange.futures.engine.wallet  # the funding included


async def test_a_liquidation_and_a_foreign_stop_are_booked_shown_and_journaled(
    exchange: BinanceExchangeDouble, futures_settings: Settings
) -> None:
    """A trailing stop placed in the web UI is shown and journaled as foreign; the
    exchange then liquidates the long: its fill and fee are booked into the portfolio
    through the normal fill path, with a CRITICAL safety event."""
    exchange.futures.set_mark("BTCUSDT", "50000")
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(futures_settings, exchange)) as trader:
            portfolio = trader.core.parts.portfolio
            trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
            await trader.start()
            assert await trader.engine.process(market_buy("0.01")) is not None
            await until(lambda: portfolio.held("BTCUSDT") == Decimal("0.01"))
            await exchange.futures.place_foreign(
                "web_trail", "TRAILING_STOP_MARKET", "SELL", "0.01", stop="51000"
            )
            await until(lambda: any(o.is_foreign for o in trader.snapshot().open_orders))
            [shown] = [o for o in trader.snapshot().open_orders if o.is_foreign]
            assert (shown.client_order_id, shown.type_label) == (
                "web_trail",
                "TRAILING_STOP_MARKET",
            )
            chat = orders_text(trader.snapshot())  # what /orders answers in Telegram
            assert "web_trail SELL 0.01000000 BTCUSDT TRAILING_STOP_MARKET (foreign) NEW" in chat

            cash = portfolio.cash  # 10000 minus the entry's fee
            await exchange.futures.liquidate("BTCUSDT", "40300")
            await until(lambda: portfolio.held("BTCUSDT") == 0)
            # sold 0.01 at 40300 (a 97 loss on the 50000 entry), fee 0.5% of 403
            assert portfolio.cash == cash - Decimal(97) - Decimal("2.015")
            critical = [e for e in trader.history.safety if e.kind == "liquidation"]
            assert [e.severity for e in critical] == [Severity.CRITICAL]
            await trader.parts.journal.flush()
            journaled = {o.client_order_id: o for o in await trader.parts.journal.orders()}
            assert journaled["web_trail"].type_label == "TRAILING_STOP_MARKET"
            [liquidation] = [o for cid, o in journaled.items() if cid.startswith("autoclose-")]
            assert (liquidation.type_label, liquidation.is_foreign) == ("LIQUIDATION", True)
            fills = await trader.parts.journal.fills()
            assert [f.fee for f in fills if f.client_order_id == liquidation.client_order_id] == [
                Decimal("2.015")
            ]


async def test_the_entry_time_to_live_never_cancels_a_foreign_order(
    exchange: BinanceExchangeDouble, futures_settings: Settings
) -> None:
    """A stop the operator placed by hand has no purpose of ours: the sweep that cancels
    stale entry orders must leave it alone, however old it is."""
    exchange.futures.set_mark("BTCUSDT", "50000")
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(futures_settings, exchange)) as trader:
            await exchange.futures.place_foreign(
                "web_stop", "STOP_MARKET", "SELL", "0.01", stop="45000"
            )
            await until(lambda: any(o.is_foreign for o in trader.snapshot().open_orders))
            [foreign] = trader.snapshot().open_orders
            later = foreign.created_at + timedelta(days=1)
            price = Decimal(50000)
            candle = Candle(
                "BTCUSDT", later - timedelta(minutes=1), later, price, price, price, price,
                Decimal(1),
            )  # fmt: skip
            commands = trader.core.on_candle(candle)
            assert not [c for c in commands if isinstance(c, CancelRequest)]
