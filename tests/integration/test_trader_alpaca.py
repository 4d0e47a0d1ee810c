"""Issue 17, Alpaca paper trading: a real Trader with VENUE=alpaca on the local Alpaca
doubles (bars REST, calendar and stream on 127.0.0.1), changed by configuration only.
Alpaca's minute bars reach the paper trader as prices and candles, its orders obey the
stock rules (cent tick, $1 minimum, 9-decimal fractions), and no keys or refused keys
fall back to the simulated market saying why."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import keyring
import pytest

from tests.doubles.alpaca_data import KEY_ID, SECRET
from tests.doubles.alpaca_stream import AlpacaVenue, alpaca_venue, new_venue, stream_base
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.trader_support import START, entry_groups, make_settings, running_engine
from tui_trader.alpaca.venue_parts import AlpacaTiming
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.domain.rules import SymbolRules
from tui_trader.resilience.retry import Backoff
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.trader import Trader
from tui_trader.secrets.store import SecretStore

FAST = AlpacaTiming(request_timeout_s=2.0, check_every_s=0.05,
                    backoff=Backoff(base_s=0.02, max_s=0.1, jitter=0.5),
                    retry=Backoff(base_s=0.05, max_s=0.1, jitter=0.5))  # fmt: skip


def alpaca_trader(tmp_path: Path, url: str, **overrides: Any) -> Trader:
    settings = make_settings(
        tmp_path, VENUE="alpaca", QUOTE_ASSET="USD", SYMBOLS="AAPLUSD,MSFTUSD",
        ALPACA_DATA_URL=url, ALPACA_TRADING_URL=url, ALPACA_STREAM_URL=stream_base(url),
        SECRETS_BACKEND="auto", **overrides,
    )  # fmt: skip
    return build_trader(settings, start=START, binance=ExchangeSetup(alpaca=FAST), **entry_groups())


@pytest.fixture(autouse=True)
def no_keyring() -> Iterator[None]:
    with keyring_installed(MemoryKeyring()):
        yield


@pytest.fixture
def keys_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_API_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALPACA_API_SECRET_KEY", SECRET)


@pytest.fixture
async def alpaca() -> AsyncIterator[tuple[AlpacaVenue, str]]:
    venue = new_venue(datetime.now(UTC))
    async with alpaca_venue(venue) as url:
        yield venue, url
        await venue.stream.drop()


def kinds(trader: Trader) -> list[str]:
    return [event.kind for event in trader.history.safety]


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def buy(price: str, quantity: str = "1") -> OrderIntent:
    return OrderIntent(
        intent_id="manual-1", symbol="AAPLUSD", side=Side.BUY, order_type=OrderType.LIMIT,
        quantity=Decimal(quantity), price=Decimal(price), purpose=IntentPurpose.ENTRY,
        created_at=START, reference_price=Decimal(price), reason="test",
    )  # fmt: skip


@pytest.mark.usefixtures("keys_in_env")
async def test_paper_trades_on_alpaca_bars(alpaca: tuple[AlpacaVenue, str], tmp_path: Path) -> None:
    venue, url = alpaca
    async with running_engine(alpaca_trader(tmp_path, url)) as trader:
        assert trader.parts.feed.name == "alpaca" and trader.snapshot().mode == "PAPER"
        assert trader.snapshot().venue == "Alpaca"
        [connected] = [e for e in trader.history.safety if e.kind == "exchange_connected"]
        assert connected.message == "Alpaca market data, paper broker"
        assert trader.core.parts.rules["AAPLUSD"] == SymbolRules(
            "AAPLUSD", Decimal("0.01"), Decimal("1E-9"), Decimal("1E-9"), Decimal("1E9"),
            Decimal(1),
        )  # fmt: skip
        assert {r["symbols"] for r in venue.data.requests} == {"AAPL", "MSFT"}  # warm-up
        assert "/v2/calendar" in venue.clock.requests
        assert {view.signal for view in trader.snapshot().prices}.isdisjoint({"WARMUP"})
        loop = asyncio.create_task(trader._feed_loop())
        await venue.stream.wait_subscribed(1)
        assert venue.stream.subscriptions == [["AAPL", "MSFT"]]
        opened = datetime.now(UTC).replace(second=0, microsecond=0)
        await venue.stream.bar("AAPL", opened, Decimal("180.25"))
        await until(lambda: trader.core.parts.market.price("AAPLUSD") == Decimal("180.25"))
        await trader.start()
        placed = await trader.engine.process(buy("180.00", "1.5"))
        assert placed is not None and placed.status is OrderStatus.NEW
        await venue.stream.bar("AAPL", opened + timedelta(minutes=1), Decimal("179.90"))
        await until(lambda: trader.core.parts.portfolio.balance("AAPL") == Decimal("1.5"))
        assert trader.snapshot().account.quote_asset == "USD"
        await until(lambda: any(s.candles for s in trader.snapshot().candles))
        [series] = [s for s in trader.snapshot().candles if s.candles]
        assert series.symbol == "AAPLUSD" and series.candles[-1].open_time >= opened
        loop.cancel()


@pytest.mark.usefixtures("keys_in_env")
async def test_an_order_under_a_dollar_or_off_the_cent_is_refused_locally(
    alpaca: tuple[AlpacaVenue, str], tmp_path: Path
) -> None:
    _venue, url = alpaca
    async with running_engine(alpaca_trader(tmp_path, url)) as trader:
        trader.core.parts.market.symbols["AAPLUSD"].last = Decimal(180)
        await trader.start()
        small = replace(buy("180.005"), quantity=Decimal("0.005"))
        assert await trader.engine.process(small) is None
        [refused] = [e for e in trader.history.safety if e.kind == "risk_rejected"]
        assert "NOTIONAL" in refused.message and "PRICE_FILTER" in refused.message


async def test_keys_from_the_keyring_are_used_when_the_environment_has_none(
    alpaca: tuple[AlpacaVenue, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALPACA_API_KEY_ID", raising=False)
    monkeypatch.delenv("ALPACA_API_SECRET_KEY", raising=False)
    store = SecretStore(keyring.get_keyring())
    await store.set_secret("alpaca", "key", KEY_ID)
    await store.set_secret("alpaca", "secret", SECRET)
    _venue, url = alpaca
    async with running_engine(alpaca_trader(tmp_path, url)) as trader:
        assert trader.parts.feed.name == "alpaca"


async def test_no_keys_fall_back_to_the_simulated_market_and_say_why(
    alpaca: tuple[AlpacaVenue, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALPACA_API_KEY_ID", raising=False)
    monkeypatch.delenv("ALPACA_API_SECRET_KEY", raising=False)
    venue, url = alpaca
    async with running_engine(alpaca_trader(tmp_path, url)) as trader:
        [event] = [e for e in trader.history.safety if e.kind == "exchange_unreachable"]
        assert event.message.startswith("Alpaca's market data needs a key: run `tui-trader keys")
        assert event.message.endswith("SIMULATED market, not on live prices; trying Alpaca again")
        assert trader.snapshot().feeds[0].name == "sim (Alpaca unreachable)"
        assert venue.clock.requests == []  # nothing was asked without keys


async def test_refused_keys_fall_back_and_name_the_variables(
    alpaca: tuple[AlpacaVenue, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALPACA_API_KEY_ID", "wrong")
    monkeypatch.setenv("ALPACA_API_SECRET_KEY", "wrong-too")
    _venue, url = alpaca
    async with running_engine(alpaca_trader(tmp_path, url)) as trader:
        [event] = [e for e in trader.history.safety if e.kind == "exchange_unreachable"]
        assert event.message.startswith(
            "Alpaca refused the keys (HTTP 401); check ALPACA_API_KEY_ID"
        )
        assert "wrong-too" not in event.message
