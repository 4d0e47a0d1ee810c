"""A restart with TRADING_MODE=live (the live gate, Binance mainnet on its double): an
intent the journal holds without a final state may be a live order, so the paper broker
the trader opens with does not decide it; the live broker is asked at the gate. One the
exchange never saw is then recorded as never sent, and nothing is sent again."""

from pathlib import Path

from tests.doubles.binance_exchange import API_KEY, API_SECRET, BinanceExchangeDouble
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration.conftest_binance import exchange_fixture  # noqa: F401
from tests.integration.test_trader_binance import buy, linked
from tests.trader_support import make_settings, running_engine
from tui_trader.binance.client import loopback_endpoints
from tui_trader.domain.enums import OrderStatus
from tui_trader.execution.idempotency import client_order_id
from tui_trader.runtime.live_access import LIVE_PHRASE, LIVE_TOKEN_FILE


async def test_an_unfinished_intent_waits_for_the_live_broker(
    exchange: BinanceExchangeDouble, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, trading_mode="live")
    urls = loopback_endpoints(exchange.port)
    intent = buy("49000", intent_id="crashed-mid-send")
    coid = client_order_id(intent.intent_id)
    with keyring_installed(MemoryKeyring()) as backend:
        async with running_engine(linked(settings, urls)) as first:
            await first.parts.journal.record_intent(intent, coid)  # then the crash
        (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
        backend.set_password("tui-trader", "binance:key", API_KEY)
        backend.set_password("tui-trader", "binance:secret", API_SECRET)
        async with running_engine(linked(settings, urls)) as again:
            journal = again.parts.journal
            assert [c for _i, c in await journal.unfinished_intents()] == [coid]
            await again.enable_live(LIVE_PHRASE)
            await journal.flush()
            assert await journal.unfinished_intents() == []
            [order] = [o for o in await journal.orders() if o.client_order_id == coid]
            assert order.status is OrderStatus.REJECTED
            assert order.reason == "never reached the broker (found at restart)"
    assert exchange.order_requests == []  # asked about, never sent
