"""Paper measured against live on the exchange double's USD-M side: every order the
trader sends to the venue also goes to a shadow paper broker fed the same market; the
snapshot carries live − paper, and `tui-trader report divergence` reads the journal
(beside the running trader) and prints the comparison per order with its causes."""

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
from tests.integration.conftest_binance import (  # noqa: F401
    exchange_fixture,
    futures_testnet_settings,
)
from tests.integration.test_trader_futures import linked, market_buy, until
from tests.trader_support import START, running_engine
from tui_trader.app.divergence_report import divergence_command
from tui_trader.config import Settings
from tui_trader.domain.market import Tick
from tui_trader.runtime.trader import Trader


def tick(trader: Trader, bid: str, ask: str) -> None:
    low, high = Decimal(bid), Decimal(ask)
    ts = START + timedelta(minutes=1)
    trader.on_market_event(Tick("BTCUSDT", ts, (low + high) / 2, low, high))


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return futures_testnet_settings(tmp_path, monkeypatch, FEE_RATE="0.001", SLIPPAGE_BPS="0")


async def test_the_shadow_gets_the_same_order_and_the_report_prices_the_difference(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange.futures.set_mark("BTCUSDT", "50000")
    async with running_engine(linked(settings, exchange)) as trader:
        shadow = trader.exchange.shadow
        assert shadow is not None  # a venue account: the shadow is on by default
        trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
        tick(trader, "49990", "50010")  # the market both sides see
        await trader.start()
        assert await trader.engine.process(market_buy("0.01")) is not None
        await until(lambda: trader.core.parts.portfolio.held("BTCUSDT") == Decimal("0.01"))
        tick(trader, "49990", "50010")  # the paper market order fills at the ask
        await until(lambda: shadow.report().rows[0].paper.filled == Decimal("0.01"))
        [row] = shadow.report().rows
        assert row.live.average == Decimal(50000) and row.paper.average == Decimal(50010)
        assert row.price_effect == Decimal("0.1")  # live bought 10 cheaper on 0.01
        # fees: live 0.04% of 500 = 0.2; paper FEE_RATE 0.1% of 500.1 = 0.5001
        assert row.fee_effect == Decimal("0.3001")
        view = trader.snapshot().divergence
        assert view is not None and view.orders == 1 and view.total == Decimal("0.4001")
        assert "live − paper +0.40 over 1 orders" in view.headline
        await trader.parts.journal.flush()
        out = io.StringIO()  # the report reads the journal beside the running trader
        assert await divergence_command(settings, out) == 0
    text = out.getvalue()
    assert "BUY 0.01 BTCUSDT" in text and "50000" in text and "50010" in text
    assert "live − paper: +0.4001 USDT = price +0.1000 + fees +0.3001, over 1 orders" in text


async def test_a_paper_account_has_no_shadow_and_the_report_says_there_is_nothing(
    tmp_path: Path,
) -> None:
    from tests.trader_support import entry_groups, make_settings
    from tui_trader.runtime.build_trader import build_trader

    settings = make_settings(tmp_path)
    async with running_engine(build_trader(settings, start=START, **entry_groups())) as trader:
        assert trader.exchange.shadow is None and trader.snapshot().divergence is None
        await trader.parts.journal.flush()
    out = io.StringIO()
    assert await divergence_command(settings, out) == 0
    assert "no mirrored orders" in out.getvalue()
