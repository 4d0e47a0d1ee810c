"""Issue 17, Alpaca live: a real Trader with VENUE=alpaca and TRADING_MODE=live on the
local Alpaca doubles on one 127.0.0.1 address (market data, calendar and clock: the
market-data half's; orders, account and trade_updates: alpaca_trading.py). Live needs
what it needs on Binance and Upbit: the live token file, the keys in the keyring
(`alpaca`), the typed phrase, an account that passes the check; then an entry goes as a
bracket, once per intent, and a crash with its reply lost is followed by a restart that
reconciles with Alpaca by client_order_id before anything new is sent; the kill switch
cancels what rests, frees the shares the exchange's stops hold, and flattens.

The trader's wall clock runs from a Wednesday in winter at 15:00 UTC (New York's 10:00),
so the market is open whenever the test runs."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.alpaca_data import KEY_ID, SECRET
from tests.doubles.alpaca_stream import new_venue, stream_base
from tests.doubles.alpaca_trading import AlpacaTradingDouble
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.doubles.upbit_quotation import serve
from tests.integration.test_trader_alpaca import FAST
from tests.live_restart_support import live_books_it_once, placed_then_killed
from tests.trader_support import START, entry_groups, make_settings, running_engine
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.orders import Order, OrderIntent
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.live_access import LIVE_PHRASE, LIVE_TOKEN_FILE
from tui_trader.runtime.trader import Trader

OPEN_AT = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday: the market is open


class OpenMarketClock:
    """Wall-clock time moved back to `at` (OPEN_AT) when the test began, running on."""

    def __init__(self, at: datetime = OPEN_AT) -> None:
        self._shift = at - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._shift

    def jump(self, to: datetime) -> None:
        """From now on the clock reads `to`, running on from there."""
        self._shift = to - datetime.now(UTC)


Venue = tuple[AlpacaTradingDouble, str]


@pytest.fixture
async def venue() -> AsyncIterator[Venue]:
    market = new_venue(OPEN_AT)
    trading = AlpacaTradingDouble(keys={KEY_ID: SECRET})
    app = trading.add_routes(market.app(), clock=False)
    async with serve(app) as url:
        yield trading, url


@pytest.fixture
def keyring() -> Iterator[Callable[[], None]]:
    """Stores the doubles' (fake) Alpaca keys under `alpaca` when called."""
    backend = MemoryKeyring()

    def store() -> None:
        backend.set_password("tui-trader", "alpaca:key", KEY_ID)
        backend.set_password("tui-trader", "alpaca:secret", SECRET)

    with keyring_installed(backend):
        yield store


def live_trader(
    tmp_path: Path,
    url: str,
    at: datetime = OPEN_AT,
    clock: OpenMarketClock | None = None,
    **overrides: Any,
) -> Trader:
    settings = make_settings(
        tmp_path,
        VENUE="alpaca",
        QUOTE_ASSET="USD",
        SYMBOLS="AAPLUSD",
        TRADING_MODE="live",
        ALPACA_DATA_URL=url,
        ALPACA_TRADING_URL=url,
        ALPACA_STREAM_URL=stream_base(url),
        ALLOW_MARKET_ORDERS="true",
        MAX_ORDERS_PER_SEC="10",
        **overrides,
    )
    return build_trader(
        settings,
        start=START,
        wall_clock=clock or OpenMarketClock(at),
        binance=ExchangeSetup(alpaca=FAST),
        **entry_groups(),
    )


def market_buy(intent_id: str, qty: str = "3") -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id,
        symbol="AAPLUSD",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal(qty),
        price=None,
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=Decimal(190),
        reason="test",
    )


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def trading_live(trader: Trader) -> None:
    await trader.enable_live(LIVE_PHRASE)
    trader.core.parts.market.symbols["AAPLUSD"].last = Decimal(190)
    await trader.start()


@asynccontextmanager
async def live_on_alpaca(
    venue: Venue,
    keyring: Callable[[], None],
    tmp_path: Path,
    clock: OpenMarketClock | None = None,
    **overrides: Any,
) -> AsyncIterator[Trader]:
    """A live trader on the Alpaca doubles, through the gate (token file, keys, phrase)
    and started."""
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    keyring()
    async with running_engine(live_trader(tmp_path, venue[1], clock=clock, **overrides)) as trader:
        await trading_live(trader)
        yield trader


async def holding(trader: Trader) -> Order:
    """3 AAPL bought (a bracket: Alpaca holds its exits) and booked."""
    bought = await trader.engine.process(market_buy("held"))
    assert bought is not None and bought.status is OrderStatus.FILLED
    await until(lambda: trader.core.parts.portfolio.balance("AAPL") == Decimal(3))
    return bought


async def test_live_on_alpaca_through_the_gate_then_a_lost_reply_and_a_restart(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    exchange, url = venue
    keyring()  # Alpaca's market data needs the keys even on paper
    async with running_engine(live_trader(tmp_path, url)) as trader:
        with pytest.raises(ValueError, match=r"live mode refused: create .*LIVE_TOKEN"):
            await trader.enable_live(LIVE_PHRASE)
        (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
        with pytest.raises(ValueError, match="the phrase must be exactly"):
            await trader.enable_live("yes")
        assert trader.snapshot().mode == "PAPER" and exchange.posted() == []
        await trading_live(trader)
        assert trader.snapshot().mode == "LIVE" and trader.engine.broker.name == "alpaca"
        assert trader.core.parts.portfolio.balance("USD") == Decimal(100_000)  # Alpaca's
        said = [e.message for e in trader.history.safety if "Alpaca key check" in e.message]
        assert said and "account PA0DOUBLE" in said[0]
        exchange.fault("POST /v2/orders", "lost")  # placed, and the reply never comes
        placed = await trader.engine.process(market_buy("before-crash"))
        assert placed is not None and placed.status is OrderStatus.FILLED  # found by id
        assert exchange.posted()[0]["order_class"] == "bracket"  # its exits held by Alpaca
        await until(lambda: trader.core.parts.portfolio.balance("AAPL") == Decimal(3))
        assert await trader.engine.process(market_buy("before-crash")) is None
    async with running_engine(live_trader(tmp_path, url)) as again:  # a new process
        await again.enable_live(LIVE_PHRASE)
        reconciled = [e for e in again.history.safety if e.kind == "reconciliation"]
        assert not [e for e in reconciled if e.severity != "INFO"], reconciled
        assert again.core.parts.portfolio.balance("AAPL") == Decimal(3)
        again.core.parts.market.symbols["AAPLUSD"].last = Decimal(190)
        await again.start()
        assert await again.engine.process(market_buy("before-crash")) is None
        assert exchange.account.placed == [placed.client_order_id]  # never sent twice
        await again.parts.journal.flush()
        fills = [f for f in await again.parts.journal.fills() if f.symbol == "AAPLUSD"]
        assert [(f.client_order_id, f.quantity) for f in fills] == [
            (placed.client_order_id, Decimal(3))
        ]


async def test_the_kill_switch_cancels_frees_the_stops_shares_and_flattens(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    exchange = venue[0]
    async with live_on_alpaca(venue, keyring, tmp_path) as trader:
        bought = await holding(trader)
        assert exchange.account.available("AAPL") == 0  # the bracket's exits hold them
        resting = replace(
            market_buy("resting", "1"), order_type=OrderType.LIMIT, price=Decimal(150)
        )
        waiting = await trader.engine.process(resting)
        assert waiting is not None and waiting.status is OrderStatus.NEW
        await trader.kill(close_positions=True)
        await until(lambda: trader.core.parts.portfolio.balance("AAPL") == 0)
        book = {o.client_order_id: o for o in exchange.account.orders.values()}
        assert book[waiting.client_order_id].status == "canceled"
        legs = book[bought.client_order_id].legs
        assert [leg.status for leg in legs] == ["canceled", "canceled"]
        [flatten] = [o for o in book.values() if o.side == "sell" and o.parent is None]
        assert (flatten.type, flatten.status, flatten.qty) == ("market", "filled", Decimal(3))
        assert exchange.account.positions == {}
        assert trader.kill_state is not None  # and it stays killed


async def test_nothing_is_sent_while_the_market_is_closed_and_the_reason_is_said(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    exchange, url = venue
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    keyring()
    evening = OPEN_AT.replace(hour=23)  # New York's 18:00: closed, and no extended hours
    async with running_engine(live_trader(tmp_path, url, evening)) as trader:
        await trading_live(trader)
        refused = await trader.engine.process(market_buy("after-hours"))
        assert refused is not None and refused.status is OrderStatus.REJECTED
        assert "market is closed" in refused.reason and "no extended-hours" in refused.reason
        assert exchange.posted() == []


NIGHT = OPEN_AT.replace(hour=23)  # Wednesday, New York's 18:00: closed
FAST_KILL_CHECK = {"KILL_VERIFY_EVERY_S": "0.1", "KILL_VERIFY_DEADLINE_S": "5"}
THURSDAY_OPEN = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)  # 09:30 in New York


async def test_the_kill_switch_at_night_keeps_the_stop_queues_the_flatten_for_the_open(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    """Killed (closing positions) while the market is closed: the entry resting is
    cancelled, the bracket's stop and take-profit Alpaca holds stay (nothing would close
    the position overnight otherwise), the flatten is queued and said with the time of
    the open, the flat check says FLAT PENDING (not NOT_FLAT); at the open the shares
    are freed, the flatten goes once, and the account is proven flat."""
    exchange, clock = venue[0], OpenMarketClock(OPEN_AT)
    async with live_on_alpaca(venue, keyring, tmp_path, clock, **FAST_KILL_CHECK) as trader:
        bought = await holding(trader)
        clock.jump(NIGHT)
        resting = replace(
            market_buy("resting", "1"), order_type=OrderType.LIMIT, price=Decimal(150)
        )
        night_entry = await trader.engine.process(resting)
        assert night_entry is not None and night_entry.status is OrderStatus.REJECTED
        await trader.kill(close_positions=True)

        def pending() -> list[SafetyEvent]:
            return [e for e in trader.history.safety if "FLAT PENDING" in e.message]

        await until(lambda: bool(pending()))
        assert pending()[0].severity == "WARNING"
        assert "queued for the open at 2026-12-03 14:30 UTC" in pending()[0].message
        queued = [e.message for e in trader.history.safety if e.kind == "exit_queued"]
        assert queued and "flatten SELL 3 AAPLUSD" in queued[0]
        [flatten] = trader.snapshot().open_orders
        assert flatten.queued and flatten.purpose is IntentPurpose.FLATTEN
        assert exchange.account.placed == [bought.client_order_id]  # nothing sent at night
        legs = exchange.account.by_client(bought.client_order_id).legs  # type: ignore[union-attr]
        assert all(leg.status != "canceled" for leg in legs)  # the stop still protects
        await asyncio.sleep(0.5)
        not_flat = [e for e in trader.history.safety if e.kind == "not_flat"]
        assert [e.severity for e in not_flat] == ["WARNING"]  # pending, never CRITICAL
        assert exchange.account.placed == [bought.client_order_id]
        clock.jump(THURSDAY_OPEN)
        await until(lambda: trader.core.parts.portfolio.balance("AAPL") == 0, 10)
        book = {o.client_order_id: o for o in exchange.account.orders.values()}
        assert [leg.status for leg in book[bought.client_order_id].legs] == [
            "canceled",
            "canceled",
        ]
        sold = book[flatten.client_order_id]
        assert (sold.type, sold.status, sold.qty) == ("market", "filled", Decimal(3))
        assert exchange.account.placed == [bought.client_order_id, flatten.client_order_id]
        await until(lambda: any(e.kind == "flat_verified" for e in trader.history.safety))
        assert exchange.account.positions == {}


async def test_a_queued_flatten_stays_when_the_kill_is_cleared_and_can_be_cancelled(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    """Clearing the kill while its flatten waits for the open is allowed and says that
    the flatten stays queued; the operator's cancel then means it never goes."""
    exchange, clock = venue[0], OpenMarketClock(OPEN_AT)
    async with live_on_alpaca(venue, keyring, tmp_path, clock, **FAST_KILL_CHECK) as trader:
        bought = await holding(trader)
        clock.jump(NIGHT)
        await trader.kill(close_positions=True)
        await until(lambda: any("FLAT PENDING" in e.message for e in trader.history.safety))
        [flatten] = trader.snapshot().open_orders
        await trader.clear_kill()
        [cleared] = [e.message for e in trader.history.safety if "kill switch cleared" in e.message]
        assert "stay queued" in cleared and flatten.client_order_id in cleared
        await trader.cancel_order(flatten.client_order_id)
        await trader.engine.drain()
        assert trader.snapshot().open_orders == ()
        [gone] = [
            o
            for o in trader.snapshot().recent_orders
            if o.client_order_id == flatten.client_order_id
        ]
        assert gone.status is OrderStatus.CANCELED and "never sent" in gone.reason
        clock.jump(THURSDAY_OPEN)
        await asyncio.sleep(1.5)  # the queue is looked at every second
        assert exchange.account.placed == [bought.client_order_id]  # it never went
        assert trader.core.parts.portfolio.balance("AAPL") == Decimal(3)
        legs = exchange.account.by_client(bought.client_order_id).legs  # type: ignore[union-attr]
        assert all(leg.status != "canceled" for leg in legs)  # still protected


async def test_a_flatten_queued_at_night_survives_a_restart_and_goes_once_at_the_open(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    """The queue is the journal's: a trader stopped at night with a flatten queued, then
    started again, holds it again (said), still sends nothing while closed, and at the
    open sends it once, under the client order id it was queued with."""
    exchange, url = venue
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    keyring()
    clock = OpenMarketClock(OPEN_AT)
    async with running_engine(live_trader(tmp_path, url, clock=clock)) as trader:
        await trading_live(trader)
        bought = await trader.engine.process(market_buy("held"))
        assert bought is not None and bought.status is OrderStatus.FILLED
        await until(lambda: trader.core.parts.portfolio.balance("AAPL") == Decimal(3))
        clock.jump(NIGHT)
        await trader.kill(close_positions=True)
        [flatten] = trader.snapshot().open_orders
        assert flatten.queued
    assert exchange.account.placed == [bought.client_order_id]
    clock.jump(NIGHT + timedelta(hours=2))
    async with running_engine(live_trader(tmp_path, url, clock=clock)) as again:
        await again.enable_live(LIVE_PHRASE)
        [held] = again.snapshot().open_orders
        assert held.client_order_id == flatten.client_order_id and held.queued
        said = [e.message for e in again.history.safety if "restored from the journal" in e.message]
        assert said and "queued for the open at 2026-12-03 14:30 UTC" in said[0]
        reconciled = [e for e in again.history.safety if e.kind == "reconciliation"]
        assert not [e for e in reconciled if e.severity == "CRITICAL"], reconciled
        await asyncio.sleep(0.3)
        assert exchange.account.placed == [bought.client_order_id]  # still closed
        clock.jump(THURSDAY_OPEN + timedelta(minutes=5))
        await until(lambda: again.core.parts.portfolio.balance("AAPL") == 0, 10)
        await asyncio.sleep(0.3)
    assert exchange.account.placed == [bought.client_order_id, flatten.client_order_id]
    assert exchange.account.positions == {}


async def test_kill_9_mid_order_then_restart_books_the_fill_once_and_sends_nothing_again(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    """A real live process is killed with SIGKILL while its limit entry rests on Alpaca;
    the entry fills while nothing runs; the restarted trader leaves it unfinished until
    the live broker can be asked, then finds it by client_order_id, books the fill once
    and sends nothing again."""
    exchange, url = venue
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    cid = await placed_then_killed("tests.e2e.alpaca_child", url, tmp_path)
    assert exchange.account.placed == [cid]
    order = exchange.account.by_client(cid)
    assert order is not None and order.status == "new"
    exchange.account.trade(order, Decimal(2), Decimal(180))  # while none runs
    keyring()
    async with running_engine(live_trader(tmp_path, url)) as again:
        await live_books_it_once(again, cid, Decimal(2))
        assert again.core.parts.portfolio.balance("AAPL") == Decimal(2)
        assert await again.parts.journal.integrity_check() == []
    assert exchange.account.placed == [cid]  # never sent twice
