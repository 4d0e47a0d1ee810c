"""A trader process for the kill -9 test: linked to the exchange double on 127.0.0.1 (the
port is argv[1]), testnet keys from the environment. It places one resting entry,
prints its client order id, and waits to be killed."""

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

from tests.trader_support import START, entry_groups, make_settings
from tui_trader.binance.client import loopback_endpoints
from tui_trader.binance.venue_parts import Timing
from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.resilience.retry import Backoff
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup

TIMING = Timing(
    request_timeout_s=2.0, ws_timeout_s=2.0, backoff=Backoff(base_s=0.02, max_s=0.2, jitter=0.5)
)


async def main(port: int, data_dir: str) -> None:
    settings = make_settings(Path(data_dir), binance_env="testnet", MAX_SLIPPAGE_BPS="10000")
    setup = ExchangeSetup(loopback_endpoints(port), TIMING)
    trader = build_trader(settings, start=START, binance=setup, **entry_groups())
    await trader.open()
    trader.core.parts.market.symbols["BTCUSDT"].last = Decimal(50000)
    await trader.start()
    intent = OrderIntent(
        intent_id="kill9-entry",
        symbol="BTCUSDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.002"),
        price=Decimal(49000),
        purpose=IntentPurpose.ENTRY,
        created_at=START,
        reference_price=Decimal(49000),
        reason="kill -9 test",
    )
    placed = await trader.engine.process(intent)
    assert placed is not None
    print(placed.client_order_id, flush=True)
    await asyncio.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
