"""The headless live gate, against the exchange double: the same checks as the app's
live modal (the live token file, keyring keys that cannot withdraw), the reason when
refused, and once live the journal's run says live."""

from pathlib import Path

from tests.doubles.binance_exchange import API_KEY, API_SECRET, BinanceExchangeDouble
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration.conftest_binance import exchange_fixture  # noqa: F401
from tests.integration.test_trader_binance import linked
from tests.trader_support import make_settings, running_engine
from tui_trader.app.headless import go_live
from tui_trader.binance.client import loopback_endpoints
from tui_trader.runtime.live_access import LIVE_TOKEN_FILE


async def test_headless_goes_live_only_through_the_live_checks(
    exchange: BinanceExchangeDouble, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, trading_mode="live")
    with keyring_installed(MemoryKeyring()) as backend:
        async with running_engine(linked(settings, loopback_endpoints(exchange.port))) as trader:
            refused = await go_live(trader)
            assert refused is not None and refused.startswith("live mode refused:")
            assert trader.snapshot().mode == "PAPER"
            (tmp_path / LIVE_TOKEN_FILE).write_text("yes")
            backend.set_password("tui-trader", "binance:key", API_KEY)
            backend.set_password("tui-trader", "binance:secret", API_SECRET)
            assert await go_live(trader) is None
            assert trader.snapshot().mode == "LIVE"
            await trader.parts.journal.flush()
            run = await trader.parts.journal.latest_run()
            assert run is not None and run.mode == "live" and run.feed == "binance"
