"""Alpaca's regulatory fees on sales (SEC fee, FINRA TAF), which Alpaca charges apart
from the fill and lists as FEE account activities, booked from those activities by the
live trader on the local doubles: each reconciliation books what is new before it
compares the cash, so the cash agrees with Alpaca's to the cent and no difference holds
entries; each fee is booked once, across reconciliations and restarts, and a fee
charged while the trader was down is booked when it starts again."""

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from tests.integration import test_trader_alpaca_live as live
from tests.integration.test_trader_alpaca_live import (
    Venue,
    live_on_alpaca,
    live_trader,
    market_buy,
)
from tests.trader_support import disagrees, running_engine
from tui_trader.domain.enums import IntentPurpose, OrderStatus, Side
from tui_trader.domain.orders import OrderIntent
from tui_trader.runtime.live_access import LIVE_PHRASE
from tui_trader.runtime.trader import Trader

alpaca, alpaca_keyring = live.venue, live.keyring  # the Alpaca doubles' fixtures
# 50 shares sold at 190: SEC 9,500 x 0.0000278 = 0.2641 -> 0.27, TAF 50 x 0.000166 -> 0.01
SALE_FEES = Decimal("0.28")
NO_STOPS = {"EXCHANGE_STOPS": "false"}  # nothing holds the shares a sale sells


def market_sell(intent_id: str, qty: str) -> OrderIntent:
    return replace(market_buy(intent_id, qty), side=Side.SELL, purpose=IntentPurpose.MANUAL_CLOSE)


async def bought_and_sold(trader: Trader, qty: str) -> None:
    for order in (market_buy(f"in-{qty}", qty), market_sell(f"out-{qty}", qty)):
        placed = await trader.engine.process(order)
        assert placed is not None and placed.status is OrderStatus.FILLED, placed


async def test_a_sale_s_fees_are_booked_and_the_cash_agrees_with_alpaca_s(
    alpaca: Venue, alpaca_keyring: Callable[[], None], tmp_path: Path
) -> None:
    exchange = alpaca[0]
    async with live_on_alpaca(alpaca, alpaca_keyring, tmp_path, **NO_STOPS) as trader:
        await bought_and_sold(trader, "50")
        assert [a["description"] for a in exchange.account.fees.activities] == [
            "REG fee",
            "TAF fee",
        ]
        portfolio = trader.core.parts.portfolio
        await trader.exchange.reconcile("test")  # what the audit runs every 5 minutes
        assert portfolio.cash == exchange.account.cash == Decimal(100_000) - SALE_FEES
        assert portfolio.fees_paid == SALE_FEES  # the fills themselves carry none
        assert disagrees(trader) == "" and trader.snapshot().trading_mode == "ACTIVE"
        await trader.exchange.reconcile("again")  # read again: nothing booked twice
        assert portfolio.cash == exchange.account.cash
        await trader.parts.journal.flush()
        booked = await trader.parts.journal.venue_fees()
        assert sorted(f.amount for f in booked) == [Decimal("-0.27"), Decimal("-0.01")]
        assert {f.symbol for f in booked} == {"AAPLUSD"}


async def test_fees_booked_once_across_a_restart_and_those_charged_while_down_too(
    alpaca: Venue, alpaca_keyring: Callable[[], None], tmp_path: Path
) -> None:
    exchange, url = alpaca
    async with live_on_alpaca(alpaca, alpaca_keyring, tmp_path, **NO_STOPS) as trader:
        await bought_and_sold(trader, "50")
        await trader.exchange.reconcile("test")
    # While nothing runs, Alpaca posts the fees of an earlier sale late.
    exchange.account.fees.on_sale("AAPL", Decimal(100), Decimal(190))  # 0.53 + 0.02
    exchange.account.cash -= exchange.account.fees.post()
    async with running_engine(live_trader(tmp_path, url, **NO_STOPS)) as again:
        await again.enable_live(LIVE_PHRASE)
        reconciled = [e for e in again.history.safety if e.kind == "reconciliation"]
        assert not [e for e in reconciled if e.severity != "INFO"], reconciled
        portfolio = again.core.parts.portfolio
        assert portfolio.cash == exchange.account.cash
        assert portfolio.cash == Decimal(100_000) - SALE_FEES - Decimal("0.55")
        assert disagrees(again) == ""
        await again.parts.journal.flush()
        refs = [f.ref for f in await again.parts.journal.venue_fees()]
        assert len(refs) == len(set(refs)) == 4


async def test_an_unreadable_fee_listing_holds_entries_and_books_nothing(
    alpaca: Venue, alpaca_keyring: Callable[[], None], tmp_path: Path
) -> None:
    """A garbage reply is not guessed at: the reconciliation fails (entries held), and
    the next one, with Alpaca answering again, books the fees and releases them."""
    exchange = alpaca[0]
    async with live_on_alpaca(alpaca, alpaca_keyring, tmp_path, **NO_STOPS) as trader:
        await bought_and_sold(trader, "50")
        exchange.fault("GET /v2/account/activities/FEE", "garbage")
        await trader.exchange.reconcile("test")
        assert "reconciliation with alpaca failed" in disagrees(trader)
        assert trader.core.parts.portfolio.fees_paid == 0
        await trader.exchange.reconcile("again")
        assert disagrees(trader) == ""
        assert trader.core.parts.portfolio.cash == exchange.account.cash
