"""ATR sizing in the running trader on the simulated market: the entry is sized from
the strategy pipeline's ATR and the position's stop sits ATR_STOP_MULT × ATR from its
entry, not at STOP_LOSS_PCT."""

from decimal import Decimal
from pathlib import Path

from tests.trader_support import feed, make_settings, opened, running_engine, sim_events


async def test_an_atr_sized_entry_gets_its_atr_stop(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, SYMBOLS="BTCUSDT", STRATEGY="rsi", SIZING="atr", ATR_STOP_MULT="3",
        ATR_TAKE_MULT="6", STOP_LOSS_PCT="2", TAKE_PROFIT_PCT="4", MAX_SLIPPAGE_BPS="10000",
    )  # fmt: skip
    async with running_engine(opened(settings)) as trader:
        await trader.start()
        events = sim_events(trader)
        atr_at_entry = None
        for _ in range(40_000):
            await feed(trader, events, 1)
            if atr_at_entry is None and trader.core.parts.orders.open_for("BTCUSDT"):
                atr_at_entry = trader.core.parts.strategies["BTCUSDT"].atr
            if trader.core.parts.portfolio.held("BTCUSDT"):
                break
        position = trader.core.parts.portfolio.position("BTCUSDT")
        assert position.is_open and atr_at_entry is not None
        levels = trader.core.parts.exits.levels_for(position)
        atr = Decimal(repr(atr_at_entry))
        sign = 1 if position.quantity > 0 else -1
        assert levels.stop_loss == position.average_entry - sign * 3 * atr
        assert levels.take_profit == position.average_entry + sign * 6 * atr
        assert levels.stop_loss != position.average_entry * (1 - sign * Decimal("0.02"))
