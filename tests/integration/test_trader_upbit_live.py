"""Issue 17, Upbit live: a real Trader with VENUE=upbit and TRADING_MODE=live on the local
Upbit doubles (quotation, WebSocket and the signed exchange API on one 127.0.0.1
address, UPBIT_API_URL). Live needs what it needs on Binance: the live token file, the
keys in the keyring (`upbit`), the typed phrase, a key that passes the key check; then
orders go through the same gate and engine, once per intent, and a restart reconciles
with Upbit by identifier before anything new is sent."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.doubles.upbit_exchange import ACCESS, SECRET, UpbitExchangeDouble, live_upbit
from tests.doubles.upbit_stream import UpbitStream
from tests.integration.test_trader_upbit import until, upbit_trader
from tests.live_restart_support import live_books_it_once, placed_then_killed
from tests.trader_support import START, disagrees, only_stopped, running_engine
from tui_trader.app.headless import go_live
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.runtime.live_access import LIVE_PHRASE, LIVE_TOKEN_FILE
from tui_trader.runtime.trader import Trader
from tui_trader.safety.kill_switch import KILL_FILE_NAME
from tui_trader.upbit.broker import UpbitBroker

Venue = tuple[UpbitStream, UpbitExchangeDouble, str]


@pytest.fixture
async def venue() -> AsyncIterator[Venue]:
    async with live_upbit() as doubles:
        yield doubles


@pytest.fixture
def keyring() -> Callable[[], None]:
    """Stores the double's (fake) Upbit keys under `upbit` when called."""
    backend = MemoryKeyring()

    def store() -> None:
        backend.set_password("tui-trader", "upbit:key", ACCESS)
        backend.set_password("tui-trader", "upbit:secret", SECRET)

    with keyring_installed(backend):
        yield store  # type: ignore[misc]


def market_buy(intent_id: str) -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id, symbol="BTCKRW", side=Side.BUY, order_type=OrderType.MARKET,
        quantity=Decimal("0.001"), price=None, purpose=IntentPurpose.ENTRY,
        created_at=START, reference_price=Decimal(90_000_000), reason="test",
    )  # fmt: skip


async def trading_live(trader: Trader) -> None:
    """Through the gate (token file and keys already there), a price known, started."""
    await trader.enable_live(LIVE_PHRASE)
    trader.core.parts.market.symbols["BTCKRW"].last = Decimal(90_000_000)
    await trader.start()


def live_trader(tmp_path: Path, url: str, **overrides: str) -> Trader:
    return upbit_trader(
        tmp_path, url, TRADING_MODE="live", ALLOW_MARKET_ORDERS="true", MAX_ORDERS_PER_SEC="10",
        **overrides,
    )  # fmt: skip


async def test_live_on_upbit_only_through_the_gate_and_then_once_per_intent(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    _stream, exchange, url = venue
    async with running_engine(live_trader(tmp_path, url)) as trader:
        with pytest.raises(ValueError, match=r"live mode refused: create .*LIVE_TOKEN"):
            await trader.enable_live(LIVE_PHRASE)
        (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
        with pytest.raises(
            ValueError, match=r"no upbit keys in the keyring: run `tui-trader keys set upbit`"
        ):
            await trader.enable_live(LIVE_PHRASE)
        keyring()
        with pytest.raises(ValueError, match="the phrase must be exactly"):
            await trader.enable_live("yes")
        assert trader.snapshot().mode == "PAPER" and exchange.requests == []
        await trader.enable_live(LIVE_PHRASE)
        assert trader.snapshot().mode == "LIVE" and trader.engine.broker.name == "upbit"
        assert trader.core.parts.portfolio.balance("KRW") == Decimal(100_000_000)  # Upbit's
        trader.core.parts.market.symbols["BTCKRW"].last = Decimal(90_000_000)
        await trader.start()
        placed = await trader.engine.process(market_buy("live-1"))
        assert placed is not None and placed.status is OrderStatus.FILLED
        await until(lambda: trader.core.parts.portfolio.balance("BTC") == Decimal("0.001"))
        assert await trader.engine.process(market_buy("live-1")) is None  # the same decision
        assert exchange.account.placed == [placed.client_order_id]
        await until(lambda: len(exchange.private.sockets) == 1)  # the myOrder stream is on
        await trader.parts.journal.flush()
        run = await trader.parts.journal.latest_run()
        assert run is not None and run.mode == "live" and run.feed == "upbit"


async def test_a_key_that_can_see_withdrawals_keeps_the_trader_on_paper(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    _stream, exchange, url = venue
    exchange.sees_withdrawals = True
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    keyring()
    async with running_engine(live_trader(tmp_path, url)) as trader:
        refused = await go_live(trader)  # headless: the same gate, the reason as a line
        assert refused is not None and refused.startswith("live mode refused: ")
        assert "withdrawal permissions" in refused and "ALLOW_WITHDRAW_KEYS=true" in refused
        assert trader.snapshot().mode == "PAPER" and trader.engine.broker.name != "upbit"
        assert exchange.account.placed == []


async def test_a_restart_reconciles_with_upbit_before_anything_new_is_sent(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    _stream, exchange, url = venue
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    keyring()
    async with running_engine(live_trader(tmp_path, url)) as trader:
        await trading_live(trader)
        exchange.fault("POST /v1/orders", "lost")  # placed, and the reply never comes
        placed = await trader.engine.process(market_buy("before-restart"))
        assert placed is not None and placed.status is OrderStatus.FILLED  # found by id
    async with running_engine(live_trader(tmp_path, url)) as again:
        await again.enable_live(LIVE_PHRASE)
        reconciled = [e for e in again.history.safety if e.kind == "reconciliation"]
        assert not [e for e in reconciled if e.severity != "INFO"], reconciled
        assert again.core.parts.portfolio.balance("BTC") == Decimal("0.001")
        again.core.parts.market.symbols["BTCKRW"].last = Decimal(90_000_000)
        await again.start()
        assert await again.engine.process(market_buy("before-restart")) is None
        assert exchange.account.placed == [placed.client_order_id]


async def test_the_kill_switch_cancels_and_flattens_on_upbit(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    _stream, exchange, url = venue
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    keyring()
    async with running_engine(live_trader(tmp_path, url)) as trader:
        await trading_live(trader)
        bought = await trader.engine.process(market_buy("held"))
        assert bought is not None and bought.status is OrderStatus.FILLED
        resting = replace(market_buy("resting"), order_type=OrderType.LIMIT,
                          price=Decimal(80_000_000))  # fmt: skip
        waiting = await trader.engine.process(resting)
        assert waiting is not None and waiting.status is OrderStatus.NEW
        await trader.kill(close_positions=True)
        await until(lambda: trader.core.parts.portfolio.balance("BTC") == 0)
        book = {o.identifier: o for o in exchange.account.orders.values()}
        assert book[waiting.client_order_id].state == "cancel"
        [flatten] = [
            o for i, o in book.items() if i not in (bought.client_order_id, waiting.client_order_id)
        ]
        assert (flatten.side, flatten.ord_type, flatten.state) == ("ask", "market", "done")
        assert exchange.account.balances["BTC"] == 0
        shown = trader.snapshot()  # still on Upbit's account, halted, and the kill kept
        assert (shown.mode, shown.trading_mode) == ("LIVE", "HALTED")
        assert (trader.settings.data_dir / KILL_FILE_NAME).exists()


async def test_kill_9_mid_order_then_restart_books_the_fill_once_and_sends_nothing_again(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    """A real live process is killed with SIGKILL while its entry rests on Upbit; the
    order fills while nothing runs; the restarted trader leaves it unfinished until the
    live broker can be asked (never the paper one), then finds it by identifier, books
    the fill once and sends nothing again."""
    _stream, exchange, url = venue
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    cid = await placed_then_killed("tests.e2e.upbit_child", url, tmp_path)
    assert exchange.account.placed == [cid]
    order = exchange.account.find(cid)
    assert order is not None
    exchange.account.trade(order, Decimal("0.001"), order.created_at)  # while none runs
    keyring()
    async with running_engine(live_trader(tmp_path, url)) as again:
        await live_books_it_once(again, cid, Decimal("0.001"))
        assert again.core.parts.portfolio.balance("BTC") == Decimal("0.001")
        assert only_stopped(again)
        assert await again.parts.journal.integrity_check() == []
    assert exchange.account.placed == [cid]  # never sent twice


@asynccontextmanager
async def live_on_upbit(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path, **overrides: str
) -> AsyncIterator[Trader]:
    """A live trader on the Upbit doubles, started, its myAsset subscription up."""
    _stream, exchange, url = venue
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    keyring()
    async with running_engine(live_trader(tmp_path, url, **overrides)) as trader:
        await trading_live(trader)
        await until(lambda: len(exchange.private.asset_sockets) == 1)
        yield trader


async def test_own_fills_on_my_asset_agree_with_the_book_and_reconcile_nothing(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    exchange = venue[1]
    async with live_on_upbit(venue, keyring, tmp_path, AUDIT_EVERY_MIN="0") as trader:
        assert exchange.private.subscriptions[-1][2] == {"type": "myAsset"}  # no codes
        bought = await trader.engine.process(market_buy("own"))
        assert bought is not None and bought.status is OrderStatus.FILLED
        broker = trader.engine.broker
        assert isinstance(broker, UpbitBroker)
        await until(lambda: broker.balance_checks >= 1)  # KRW and BTC told, then compared
        assert trader.snapshot().trading_mode == "ACTIVE" and disagrees(trader) == ""
        reconciled = [e for e in trader.history.safety if e.kind == "reconciliation"]
        assert not [e for e in reconciled if e.severity != "INFO"], reconciled


async def test_a_withdrawal_told_by_my_asset_holds_entries_within_seconds(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    """No audit runs (AUDIT_EVERY_MIN=0): only the myAsset report can reveal it."""
    exchange = venue[1]
    async with live_on_upbit(venue, keyring, tmp_path, AUDIT_EVERY_MIN="0") as trader:
        exchange.account.balances["KRW"] -= Decimal(30_000_000)  # withdrawn on Upbit's site
        await until(lambda: "KRW: exchange holds 70000000" in disagrees(trader))
        assert trader.snapshot().trading_mode == "REDUCING"
        refused = await trader.engine.process(market_buy("after-withdrawal"))
        assert refused is None and exchange.account.placed == []


async def test_the_private_stream_s_reconnection_reconciles_what_changed_meanwhile(
    venue: Venue, keyring: Callable[[], None], tmp_path: Path
) -> None:
    """A change made while the stream is down is never told by myAsset (Upbit does not
    replay): the reconciliation after the reconnection finds it."""
    exchange = venue[1]
    private = exchange.private
    async with live_on_upbit(venue, keyring, tmp_path, AUDIT_EVERY_MIN="0") as trader:
        private.accepting = False
        await private.drop()
        exchange.account.balances["KRW"] -= Decimal(30_000_000)
        await asyncio.sleep(0.5)  # told to nobody: no check, no reconciliation yet
        assert disagrees(trader) == "" and trader.snapshot().trading_mode == "ACTIVE"
        private.accepting = True
        await until(lambda: "KRW: exchange holds 70000000" in disagrees(trader), 10.0)
        assert private.connects == 2
