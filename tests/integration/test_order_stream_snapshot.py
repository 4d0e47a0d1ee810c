"""Issue 17: the snapshot's order path (`order_streams`) on a real live Trader on the
local Upbit doubles (127.0.0.1): streaming once myOrder is up; the private stream
dropped (and refused meanwhile) → polling since the drop, with a fill booked by polling;
the stream back → reconnecting while the gap is caught up, then streaming again with
the time of that catch-up; the drop and the way back one safety line each. Paper (no
order stream) shows none. On the Alpaca double: trade_updates dropped → polling, back →
streaming; on the Binance double (testnet): the user data subscription dropped →
reconnecting, re-subscribed → streaming (Binance polls only while orders work)."""

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.doubles.binance_exchange import API_KEY, API_SECRET, BinanceExchangeDouble
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration import test_trader_alpaca_live as alpaca_live
from tests.integration.conftest_binance import exchange_fixture  # noqa: F401
from tests.integration.test_trader_alpaca_live import Venue as AlpacaVenue
from tests.integration.test_trader_binance import linked as binance_trader
from tests.integration.test_trader_upbit import until
from tests.integration.test_trader_upbit_live import (  # noqa: F401 (fixtures)
    Venue,
    keyring,
    live_on_upbit,
    live_trader,
    trading_live,
    venue,
)
from tests.trader_support import START, make_settings, running_engine
from tui_trader.binance.client import loopback_endpoints
from tui_trader.binance.spot_broker import BinanceSpotBroker
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.orders import OrderIntent
from tui_trader.runtime.live_access import LIVE_TOKEN_FILE
from tui_trader.runtime.trader import Trader

alpaca = alpaca_live.venue  # the Alpaca doubles' fixtures, under names of their own
alpaca_keyring = alpaca_live.keyring


def state(trader: Trader) -> str:
    streams = trader.snapshot().order_streams
    assert len(streams) == 1 and streams[0].venue == "Upbit", streams
    return streams[0].state


def resting_buy(intent_id: str) -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id, symbol="BTCKRW", side=Side.BUY, order_type=OrderType.LIMIT,
        quantity=Decimal("0.001"), price=Decimal(89_000_000), purpose=IntentPurpose.ENTRY,
        created_at=START, reference_price=Decimal(90_000_000), reason="test",
    )  # fmt: skip


async def test_paper_on_upbit_shows_no_order_stream(venue: Venue, tmp_path: Path) -> None:  # noqa: F811
    _stream, _exchange, url = venue
    async with running_engine(live_trader(tmp_path, url)) as trader:
        assert trader.snapshot().mode == "PAPER" and trader.snapshot().order_streams == ()


async def test_the_snapshot_follows_the_order_stream_down_to_polling_and_back(
    venue: Venue,  # noqa: F811
    keyring: Callable[[], None],  # noqa: F811
    tmp_path: Path,
) -> None:
    exchange = venue[1]
    async with live_on_upbit(venue, keyring, tmp_path) as trader:
        await until(lambda: state(trader) == "streaming")
        (up,) = trader.snapshot().order_streams
        assert up.reconciled_at is None and up.detail == ""
        placed = await trader.engine.process(resting_buy("rest-1"))
        assert placed is not None and placed.status is OrderStatus.NEW

        version = trader.snapshot().version
        exchange.private.accepting = False  # refused while down: stays down
        await exchange.private.drop()
        await until(lambda: state(trader) == "polling")
        assert trader.snapshot().version > version  # told at once, not at the next tick
        (down,) = trader.snapshot().order_streams
        assert down.since is not None and down.detail.startswith("lost: ")
        lost = [e for e in trader.history.safety if e.kind is SafetyKind.FEED_RECONNECT]
        assert len(lost) == 1 and "polling until it is back" in lost[0].message

        # a fill while down is booked by polling, and the view stays polling since the drop
        book = exchange.account.find(placed.client_order_id)
        assert book is not None
        exchange.account.trade(book, Decimal("0.0004"), placed.created_at)
        await until(lambda: trader.core.parts.portfolio.balance("BTC") == Decimal("0.0004"))
        (still,) = trader.snapshot().order_streams
        assert still.state == "polling" and still.since == down.since

        exchange.private.accepting = True
        await until(lambda: state(trader) == "streaming", seconds=10.0)
        (back,) = trader.snapshot().order_streams
        assert back.reconciled_at is not None and back.reconciled_at >= down.since
        assert back.since is not None and back.since >= down.since
        said = [e for e in trader.history.safety if e.kind is SafetyKind.USER_STREAM_HEALTHY]
        assert len(said) == 1 and said[0].message.startswith("Upbit private stream back after")
        assert "fills by stream again (missed events reconciled)" in said[0].message
    (closed,) = trader.snapshot().order_streams
    assert closed.state == "off"  # the broker closed with the trader


async def test_alpaca_trade_updates_dropped_show_polling_then_streaming(
    alpaca: AlpacaVenue,
    alpaca_keyring: Callable[[], None],
    tmp_path: Path,
) -> None:
    exchange, url = alpaca
    alpaca_keyring()
    (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
    async with running_engine(alpaca_live.live_trader(tmp_path, url)) as trader:
        await alpaca_live.trading_live(trader)

        def alpaca_state() -> str:
            (view,) = trader.snapshot().order_streams
            assert view.venue == "Alpaca"
            return view.state

        await alpaca_live.until(lambda: alpaca_state() == "streaming")
        await exchange.drop_stream()
        await alpaca_live.until(lambda: alpaca_state() == "polling")
        (down,) = trader.snapshot().order_streams
        assert down.detail.startswith("lost: ")
        await alpaca_live.until(lambda: alpaca_state() == "streaming", seconds=10.0)
        (back,) = trader.snapshot().order_streams
        assert back.reconciled_at is not None and down.since is not None
        assert back.reconciled_at >= down.since  # the reconcile after the reconnection
        messages = [e.message for e in trader.history.safety]
        assert any(m.startswith("Alpaca trade updates lost (") for m in messages)
        assert any(m.startswith("Alpaca trade updates back after ") for m in messages)


async def test_binance_testnet_user_data_dropped_shows_reconnecting_then_streaming(
    exchange: BinanceExchangeDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BINANCE_TESTNET_API_KEY", API_KEY)
    monkeypatch.setenv("BINANCE_TESTNET_API_SECRET", API_SECRET)
    exchange.set_price("BTCUSDT", "50000")
    settings = make_settings(tmp_path, binance_env="testnet", MAX_SLIPPAGE_BPS="10000")
    with keyring_installed(MemoryKeyring()):
        trader = binance_trader(settings, loopback_endpoints(exchange.port))
        async with running_engine(trader):

            def binance_state() -> str:
                (view,) = trader.snapshot().order_streams
                assert view.venue == "Binance spot"
                return view.state

            await until(lambda: binance_state() == "streaming")
            # every state it passes, as the trader is told of it (the test backoff is fast)
            seen: list[str] = []
            broker = trader.engine.broker
            assert isinstance(broker, BinanceSpotBroker)
            (status,) = broker.order_streams()
            touch = status.on_change
            assert touch is not None

            def told() -> None:
                seen.append(status.state.value)
                touch()

            status.on_change = told
            connects = exchange.ws_api_connects
            await exchange.drop_ws_api()

            def back() -> bool:
                return exchange.ws_api_connects > connects and binance_state() == "streaming"

            await until(back, seconds=10.0)
            assert seen[0] == "reconnecting" and seen[-1] == "streaming", seen
            assert set(seen) == {"reconnecting", "streaming"}, seen
            (view,) = trader.snapshot().order_streams
            assert view.reconciled_at is not None
            messages = [e.message for e in trader.history.safety]
            assert any(m.startswith("Binance spot user data stream lost (") for m in messages)
            assert any(m.startswith("Binance spot user data stream back after ") for m in messages)
