"""Several simulated hours of paper trading: the books must balance exactly, in Decimal."""

from decimal import Decimal
from pathlib import Path

from tests.trader_support import feed, make_settings, opened, running_engine, sim_events
from tui_trader.core.ledger import Portfolio
from tui_trader.domain.enums import Side
from tui_trader.domain.orders import Fill

INITIAL = Decimal("10000")
EVENTS_PER_HOUR = 60 * (2 * 20 + 2)  # 2 symbols × 20 ticks + 2 candles per minute


def cash_from_fills(fills: list[Fill]) -> Decimal:
    cash = INITIAL
    for fill in fills:
        signed = -fill.notional if fill.side is Side.BUY else fill.notional
        cash += signed - fill.fee
    return cash


def holdings_from_fills(fills: list[Fill]) -> dict[str, Decimal]:
    held: dict[str, Decimal] = {}
    for fill in fills:
        delta = fill.quantity if fill.side is Side.BUY else -fill.quantity
        held[fill.symbol] = held.get(fill.symbol, Decimal(0)) + delta
    return held


async def test_six_simulated_hours_balance_exactly(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PAPER_QUOTE_BALANCE=str(INITIAL))
    async with running_engine(opened(settings)) as trader:
        await trader.start()
        await feed(trader, sim_events(trader), 6 * EVENTS_PER_HOUR)
        await trader.parts.journal.flush()
        fills = await trader.parts.journal.fills()
        portfolio = trader.core.parts.portfolio

        assert len(fills) >= 4, "the simulated market should make the strategy trade"
        assert portfolio.cash == cash_from_fills(fills)
        for symbol, quantity in holdings_from_fills(fills).items():
            assert portfolio.position(symbol).quantity == quantity
        marked = sum(
            (
                p.quantity * trader.core.parts.market.price(s)
                for s, p in portfolio.positions.items()
            ),
            Decimal(0),
        )
        assert portfolio.equity() == portfolio.cash + marked
        assert portfolio.fees_paid == sum((f.fee for f in fills), Decimal(0))

        # The paper exchange's own books agree with ours, asset by asset.
        exchange = await trader.parts.broker.balances()
        for asset, balance in portfolio.balances().items():
            assert exchange[asset].total == balance.total

        # Rebuilding from the journal alone gives the very same account.
        rebuilt = Portfolio.replay("USDT", {"USDT": INITIAL}, fills)
        assert rebuilt.cash == portfolio.cash
        assert rebuilt.realized_pnl == portfolio.realized_pnl
        assert {s: p.quantity for s, p in rebuilt.positions.items()} == {
            s: p.quantity for s, p in portfolio.positions.items()
        }
