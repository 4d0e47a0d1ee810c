"""A live Alpaca trader process for the kill -9 test: the Alpaca doubles at argv[1] (one
127.0.0.1 address), the data dir at argv[2] (its live token file written by the test),
the doubles' fake keys in this process's own in-memory keyring. It goes live through
the gate, places one resting limit entry, prints its client order id, and waits to be
killed."""

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

from tests.doubles.alpaca_data import KEY_ID, SECRET
from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tests.integration.test_trader_alpaca_live import live_trader, trading_live
from tests.trader_support import START
from tui_trader.domain.enums import IntentPurpose, OrderType, Side
from tui_trader.domain.orders import OrderIntent

ENTRY = OrderIntent(
    intent_id="kill9-alpaca-entry", symbol="AAPLUSD", side=Side.BUY, order_type=OrderType.LIMIT,
    quantity=Decimal(2), price=Decimal(180), purpose=IntentPurpose.ENTRY, created_at=START,
    reference_price=Decimal(180), reason="kill -9 test",
)  # fmt: skip


async def main(url: str, data_dir: str) -> None:
    backend = MemoryKeyring()
    backend.set_password("tui-trader", "alpaca:key", KEY_ID)
    backend.set_password("tui-trader", "alpaca:secret", SECRET)
    with keyring_installed(backend):
        trader = live_trader(Path(data_dir), url)
        await trader.open()
        await trading_live(trader)
        placed = await trader.engine.process(ENTRY)
        assert placed is not None
        print(placed.client_order_id, flush=True)
        await asyncio.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
