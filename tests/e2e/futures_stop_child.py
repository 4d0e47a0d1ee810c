"""A USD-M trader process for the kill -9 test of exchange stops: linked to the exchange
double on 127.0.0.1 (the port is argv[1]), testnet keys from the environment. It buys
0.01 BTCUSDT at market, keeps its exchange stops, prints "guarded" once the exchange
holds a stop, and waits to be killed."""

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

from tests.e2e.binance_child import TIMING
from tests.integration.conftest_binance import FUTURES_TESTNET
from tests.trader_support import START, entry_groups, make_settings
from tui_trader.binance.client import loopback_endpoints
from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.guards import GuardKind
from tui_trader.domain.orders import OrderIntent
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.guard_keeper import GuardTiming


async def main(port: int, data_dir: str) -> None:
    settings = make_settings(Path(data_dir), **FUTURES_TESTNET)
    timing = GuardTiming(check_s=0.05)
    setup = ExchangeSetup(loopback_endpoints(port), TIMING, guard_timing=timing)
    trader = build_trader(settings, start=START, binance=setup, **entry_groups())
    await trader.open()
    tasks = [asyncio.ensure_future(run()) for _, run in trader.edge_tasks() if _ != "feed"]
    trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
    await trader.start()
    intent = OrderIntent(
        intent_id="kill9-futures-entry",
        symbol="BTCUSDT",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal("0.01"),
        price=None,
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=Decimal(50000),
        reason="kill -9 test",
    )
    trader.engine.submit(intent)
    keeper = trader.exchange.guards.keeper
    assert keeper is not None
    while keeper.trigger("BTCUSDT", GuardKind.STOP) is None or not keeper.answered:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    print("guarded", flush=True)
    await asyncio.gather(*tasks)  # until SIGKILL


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
