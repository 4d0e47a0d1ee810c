"""What the trader did not place, against the exchange double's USD-M side with a real
Trader (testnet, keys from the environment): orders of every type Binance has resting
on the account, an order row nobody can read, liquidation and ADL executions delivered
twice, a hedge-mode account, and order replies without their optional fields. Each is
read, booked or refused with a clear event; no read fails for the whole list."""

import asyncio
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import BinanceExchangeDouble
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
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Severity, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.journal import read_status
from tui_trader.resilience.retry import Backoff
from tui_trader.runtime.build_trader import build_trader, journal_path
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.trader import Trader

FAST = Timing(
    request_timeout_s=1.0,
    ws_timeout_s=1.0,
    socket_poll_s=0.1,
    backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5),
)
FOREIGN = [  # (client id, type, price, stop): every USD-M type the trader never sends
    ("web_trail", "TRAILING_STOP_MARKET", "0", "51000"),
    ("web_stop", "STOP_MARKET", "0", "45000"),
    ("web_tp", "TAKE_PROFIT_MARKET", "0", "55000"),
    ("bot_stop", "STOP", "45100", "45000"),
    ("bot_tp", "TAKE_PROFIT", "55100", "55000"),
]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return futures_testnet_settings(tmp_path, monkeypatch, MAX_ORDERS_PER_SEC="10")


def linked(settings: Settings, exchange: BinanceExchangeDouble) -> Trader:
    exchange.futures.set_mark("BTCUSDT", "50000")
    setup = ExchangeSetup(loopback_endpoints(exchange.port), FAST)
    return build_trader(settings, start=START, binance=setup, **entry_groups())


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def kinds(trader: Trader) -> list[str]:
    return [e.kind for e in trader.history.safety]


def entry(intent_id: str, price: str | None = None) -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id,
        symbol="BTCUSDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT if price else OrderType.MARKET,
        quantity=Decimal("0.01"),
        price=Decimal(price) if price else None,
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=Decimal(50000),
        reason="test",
    )


def rest_foreign_orders(exchange: BinanceExchangeDouble) -> None:
    for cid, kind, price, stop in FOREIGN:
        exchange.futures.engine.place_foreign(
            cid, kind, "SELL", Decimal("0.01"), exchange.now_ms(),
            price=Decimal(price), stop=Decimal(stop),
        )  # fmt: skip


@pytest.mark.fault(
    "foreign order types on the exchange", "parsed, shown as foreign, the list still reads"
)
async def test_foreign_orders_resting_at_start_are_adopted_shown_and_journaled(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    rest_foreign_orders(exchange)
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(settings, exchange)) as trader:
            assert isinstance(trader.engine.broker, BinanceFuturesBroker)
            shown = {o.client_order_id: o.type_label for o in trader.snapshot().open_orders}
            assert shown == {cid: kind for cid, kind, _, _ in FOREIGN}
            assert kinds(trader).count("foreign_order") == len(FOREIGN)
            assert only_stopped(trader)  # reconciled: nothing blocks entries
            await trader.parts.journal.flush()
    status = "\n".join((await read_status(journal_path(settings))).lines())
    assert "web_trail foreign SELL TRAILING_STOP_MARKET 0.01" in status
    assert "bot_stop foreign SELL STOP 0.01" in status and "@ 45100" in status


@pytest.mark.fault(
    "an unreadable order among the open orders", "skipped with one safety event, rest kept"
)
async def test_an_unreadable_open_order_is_skipped_once_and_the_rest_kept(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    rest_foreign_orders(exchange)
    exchange.futures.extra_open_orders.append(
        {"symbol": "BTCUSDT", "orderId": 4242, "clientOrderId": "odd", "type": "?!"}
    )
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(settings, exchange)) as trader:
            assert len(trader.snapshot().open_orders) == len(FOREIGN)
            await trader.exchange.reconcile("again")  # a second read: no second event
            [skipped] = [e for e in trader.history.safety if e.kind == "unreadable_order"]
            assert skipped.severity is Severity.WARNING and "orderId=4242" in skipped.message
            assert only_stopped(trader)


@pytest.mark.fault(
    "liquidation and ADL executions (x=CALCULATED), each delivered twice",
    "fill and fee booked once through the fill path, CRITICAL event, journaled",
)
async def test_liquidation_and_adl_are_booked_once_and_critical(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(settings, exchange)) as trader:
            portfolio = trader.core.parts.portfolio
            trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
            await trader.start()
            for n, (price, adl) in enumerate([("40300", False), ("50100", True)]):
                await trader.engine.process(entry(f"entry-{n}"))
                await until(lambda: portfolio.held("BTCUSDT") == Decimal("0.01"))
                engine = exchange.futures.engine
                events = engine.liquidate("BTCUSDT", Decimal(price), exchange.now_ms(), adl=adl)
                await exchange.futures.push(events + events)  # the same execution twice
                await until(lambda: portfolio.held("BTCUSDT") == 0)
            await asyncio.sleep(0.2)  # the duplicates have arrived
            critical = [e for e in trader.history.safety if e.kind == "liquidation"]
            assert [e.severity for e in critical] == [Severity.CRITICAL] * 2
            await trader.parts.journal.flush()
            fills = [
                f for f in await trader.parts.journal.fills() if "autoclose" in f.client_order_id
            ]
            assert [(f.price, f.fee) for f in fills] == [
                (Decimal(40300), Decimal("2.015")),  # 0.5% of 403
                (Decimal(50100), Decimal("2.505")),
            ]
            assert portfolio.cash == exchange.futures.engine.wallet  # nothing lost or doubled


@pytest.mark.fault(
    "USD-M account holding hedge-mode positions",
    "refused at start with one line naming hedge mode; rows never merged",
)
async def test_hedge_mode_positions_refuse_the_account_instead_of_merging(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    """/positionSide/dual says one-way, yet positionRisk has LONG and SHORT rows: taking
    the last row would have shown a plain short. The broker is refused instead, like
    any other start failure: paper on the simulated market, said in one CRITICAL line."""
    exchange.futures.engine.hedge_positions = {
        ("BTCUSDT", "LONG"): (Decimal("0.01"), Decimal(50000)),
        ("BTCUSDT", "SHORT"): (Decimal("-0.02"), Decimal(50500)),
    }
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(settings, exchange)) as trader:
            assert not isinstance(trader.engine.broker, BinanceFuturesBroker)
            [refused] = [e for e in trader.history.safety if e.kind == "exchange_unreachable"]
            assert refused.severity is Severity.CRITICAL and "\n" not in refused.message
            assert "BTCUSDT has a hedge-mode position (positionSide 'LONG')" in refused.message
            assert trader.core.parts.portfolio.positions == {}


@pytest.mark.fault("order replies without avgPrice / cumQuote / executedQty", "parsed as unfilled")
async def test_replies_without_optional_fields_place_and_cancel(
    exchange: BinanceExchangeDouble, settings: Settings
) -> None:
    exchange.futures.omit_reply_fields = frozenset({"avgPrice", "cumQuote", "executedQty"})
    with keyring_installed(MemoryKeyring()):
        async with running_engine(linked(settings, exchange)) as trader:
            trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
            await trader.start()
            placed = await trader.engine.process(entry("resting", price="49000"))
            assert placed is not None and placed.status is OrderStatus.NEW
            cancelled = await trader.engine.broker.cancel(placed.client_order_id)
            assert cancelled is not None and cancelled.status is OrderStatus.CANCELED
            assert "order_failed" not in kinds(trader) and "engine_error" not in kinds(trader)
