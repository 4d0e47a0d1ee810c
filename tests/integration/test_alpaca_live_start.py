"""Alpaca's live start as the exchange link will call it (runtime/alpaca_live.py), on a
real Trader and the local trading double: the keyring's `alpaca` keys only, the account
check said as a safety event (which account: paper or live, by the URL), entries sent as
brackets when the exchange holds stops, a refused account kept out with the reason,
and a reconciler that runs again when the trade_updates stream comes back."""

import asyncio
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.alpaca_orders_support import an_order
from tests.doubles.alpaca_trading import KEY_ID, SECRET, AlpacaTradingDouble, alpaca_trading
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.trader_support import make_settings, running_engine
from tui_trader.binance.book import CoreBook
from tui_trader.domain.enums import OrderType, Side
from tui_trader.runtime.alpaca_live import alpaca_reconciler, start_alpaca_live
from tui_trader.runtime.build_trader import build_trader


@pytest.fixture
def keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    with keyring_installed(backend):
        yield backend


class AlwaysOpen:
    def is_open(self, t: datetime) -> bool:
        return True

    def next_open(self, t: datetime) -> datetime | None:
        return t


def store(backend: MemoryKeyring) -> None:
    backend.set_password("tui-trader", "alpaca:key", KEY_ID)
    backend.set_password("tui-trader", "alpaca:secret", SECRET)


async def test_the_live_start_checks_the_account_and_sends_entries_as_brackets(
    keyring: MemoryKeyring, tmp_path: Path
) -> None:
    double = AlpacaTradingDouble()
    settings = make_settings(tmp_path, SYMBOLS="AAPLUSD", QUOTE_ASSET="USD")
    async with alpaca_trading(double) as url, running_engine(build_trader(settings)) as trader:
        live = {
            "trading_url": url,
            "hours": AlwaysOpen(),
            "reference_price": lambda symbol: Decimal(190),
        }
        with pytest.raises(ValueError, match=r"live mode refused: .*keys set alpaca"):
            await start_alpaca_live(trader, **live)  # type: ignore[arg-type]
        store(keyring)
        double.account.account_blocked = True
        with pytest.raises(ValueError, match=r"live mode refused: .*account_blocked"):
            await start_alpaca_live(trader, **live)  # type: ignore[arg-type]
        assert double.posted() == []
        double.account.account_blocked = False
        broker = await start_alpaca_live(trader, **live)  # type: ignore[arg-type]
        try:
            said = [e.message for e in trader.history.safety if "Alpaca key check" in e.message]
            assert said and "account PA0DOUBLE" in said[-1] and "cannot withdraw" in said[-1]
            await broker.submit(an_order("live-entry", Side.BUY, OrderType.MARKET, "3"))
            assert double.posted()[-1]["order_class"] == "bracket"  # 2 % / 4 % by default
            assert [g.kind.value for g in await broker.open_guards()] == ["OCO"]
            reconciler = alpaca_reconciler(trader, broker, CoreBook(trader.core, trader.journal))
            for _ in range(100):
                if double.sockets:
                    break
                await asyncio.sleep(0.02)
            await double.drop_stream()
            for _ in range(200):
                if reconciler.last is not None:
                    break
                await asyncio.sleep(0.02)
            assert reconciler.last is not None  # ran again after the reconnection
        finally:
            await broker.close()
