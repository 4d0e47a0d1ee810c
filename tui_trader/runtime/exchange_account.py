"""The trader's account on a venue's account, rebuilt like the paper account: what the
venue held when the trader first used this account (stored in the journal), plus every
fill (and futures funding settlement, and venue charge outside a fill) journaled since.
Reconciliation then compares that with what the venue holds now, so a fill missed while
the process was down is adopted once, not counted twice."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.config import Settings
from tui_trader.core.ledger import Portfolio
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.portfolio import FundingFee, Position, VenueFee
from tui_trader.journal.store import Journal

ACCOUNT_KEY = "exchange_account"


@dataclass(frozen=True, slots=True)
class AccountStart:
    at: datetime
    balances: dict[str, Decimal]
    positions: dict[str, tuple[Decimal, Decimal]]  # futures: quantity, entry price


def account_tag(settings: Settings) -> str:
    """Whose orders and fills these are in the journal: Upbit's account is not Binance's."""
    if settings.venue == "alpaca":  # Alpaca's paper account is not its live one: the URL says
        from tui_trader.alpaca.trading_api import trading_mode

        mode = trading_mode(settings.alpaca_trading_url).split(" ", 1)[0]
        return f"alpaca-{mode}/{settings.market_type.value}"
    if settings.venue == "upbit":
        return f"{settings.venue}/{settings.market_type.value}"
    return f"{settings.binance_env}/{settings.market_type.value}"


async def account_start(
    journal: Journal,
    settings: Settings,
    now: datetime,
    balances: Mapping[str, Decimal],
    positions: Mapping[str, Position],
) -> AccountStart:
    """The stored start of this account, or now as its start (first use, or the
    journal last traded another environment or market)."""
    stored = await journal.get_meta(ACCOUNT_KEY)
    if stored is not None:
        data = json.loads(stored)
        if data.get("account") == account_tag(settings):
            return AccountStart(
                datetime.fromisoformat(data["at"]),
                {a: Decimal(v) for a, v in data["balances"].items()},
                {s: (Decimal(q), Decimal(e)) for s, (q, e) in data["positions"].items()},
            )
    start = AccountStart(
        now,
        dict(balances),
        {s: (p.quantity, p.average_entry) for s, p in positions.items()},
    )
    record = {
        "account": account_tag(settings),
        "at": now.isoformat(),
        "balances": {a: str(v) for a, v in start.balances.items()},
        "positions": {s: [str(q), str(e)] for s, (q, e) in start.positions.items()},
    }
    journal.set_meta(ACCOUNT_KEY, json.dumps(record))
    return start


async def restore_exchange_portfolio(
    journal: Journal,
    settings: Settings,
    start: AccountStart,
    settled: Sequence[FundingFee | VenueFee] = (),
) -> Portfolio:
    """`settled` is the venue's own record of the charges since the start: Binance's
    funding history (futures), Alpaca's fee activities. One not journaled yet (charged
    while the trader was down) is booked and journaled now."""
    portfolio = Portfolio(
        settings.quote_asset,
        start.balances,
        settings.market_type,
        settings.base_asset,
        leverage=settings.max_leverage,
        positions=[
            Position(s, q, e, leverage=settings.max_leverage)
            for s, (q, e) in start.positions.items()
        ],
    )
    for fill in await journal.fills(since=start.at, account=account_tag(settings)):
        portfolio.apply_fill(fill)
    if settings.market_type is MarketKind.FUTURES:
        for fee in await journal.funding_fees(since=start.at):
            portfolio.apply_funding(fee)
    for charge in await journal.venue_fees(since=start.at):
        portfolio.apply_venue_fee(charge)
    for settlement in settled:
        if isinstance(settlement, FundingFee) and portfolio.apply_funding(settlement):
            journal.record_funding(settlement)
        elif isinstance(settlement, VenueFee) and portfolio.apply_venue_fee(settlement):
            journal.record_venue_fee(settlement)
    return portfolio
