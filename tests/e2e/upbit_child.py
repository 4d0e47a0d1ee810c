"""A live Upbit trader process for the kill -9 test: the Upbit doubles at argv[1] (one
127.0.0.1 address), the data dir at argv[2] (its live token file written by the test),
the double's fake keys in this process's own in-memory keyring. It goes live through
the gate, places one resting entry, prints its client order id, and waits to be killed."""

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.doubles.upbit_exchange import ACCESS, SECRET
from tests.doubles.upbit_stream import ws_url
from tests.trader_support import START, entry_groups, make_settings
from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.runtime.build_trader import build_trader
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.runtime.live_access import LIVE_PHRASE
from tui_trader.upbit.venue_parts import UpbitTiming

SETTINGS = {"VENUE": "upbit", "QUOTE_ASSET": "KRW", "SYMBOLS": "BTCKRW,ETHKRW",
            "TRADING_MODE": "live", "MAX_ORDERS_PER_SEC": "10"}  # fmt: skip
TIMING = UpbitTiming(request_timeout_s=2.0, pause_s=0.01, poll_s=0.1)
ENTRY = OrderIntent(
    intent_id="kill9-upbit-entry", symbol="BTCKRW", side=Side.BUY, order_type=OrderType.LIMIT,
    quantity=Decimal("0.001"), price=Decimal(89_000_000), purpose=IntentPurpose.ENTRY,
    created_at=START, reference_price=Decimal(89_000_000), reason="kill -9 test",
)  # fmt: skip


async def main(url: str, data_dir: str) -> None:
    urls = {"UPBIT_API_URL": url, "UPBIT_WS_URL": ws_url(url)}
    settings = make_settings(Path(data_dir), **(SETTINGS | urls))
    backend = MemoryKeyring()
    backend.set_password("tui-trader", "upbit:key", ACCESS)
    backend.set_password("tui-trader", "upbit:secret", SECRET)
    with keyring_installed(backend):
        setup = ExchangeSetup(upbit=TIMING)
        trader = build_trader(settings, start=START, binance=setup, **entry_groups())
        await trader.open()
        await trader.enable_live(LIVE_PHRASE)
        trader.core.parts.market.symbols["BTCKRW"].last = Decimal(89_000_000)
        await trader.start()
        placed = await trader.engine.process(ENTRY)
        assert placed is not None
        print(placed.client_order_id, flush=True)
        await asyncio.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
