"""The USD-M account as the futures broker knows it: wallet balances, open positions
with leverage and liquidation price, and funding fees. Pure: ACCOUNT_UPDATE events and
positionRisk replies go in, `AccountUpdate` views come out.

ACCOUNT_UPDATE carries no liquidation price; a position whose quantity is unchanged
keeps the one positionRisk gave, and `apply` says when it must be asked again. A funding
settlement delivered twice (a duplicated event) is counted once."""

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_trader.binance.parse_account import parse_account_update
from tui_trader.binance.parse_futures import parse_account_change
from tui_trader.domain.portfolio import Balance, FundingFee, Position

SEEN_FUNDING = 256  # recent settlements remembered to drop duplicates


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """What the account looks like after an ACCOUNT_UPDATE (or a positionRisk refresh)."""

    ts: datetime
    reason: str  # ORDER, FUNDING_FEE, ... or POSITION_RISK after a refresh
    balances: dict[str, Balance]
    positions: dict[str, Position]  # every open position, liquidation price if known
    funding: tuple[FundingFee, ...]  # settled in this update (negative: paid)


@dataclass(frozen=True, slots=True)
class Applied:
    reason: str
    funding: tuple[FundingFee, ...]
    stale: bool  # a position changed size: its liquidation price is unknown


class FuturesAccount:
    def __init__(self, leverage: Mapping[str, int], default_leverage: int) -> None:
        self._leverage, self._default = leverage, default_leverage
        self.balances: dict[str, Balance] = {}
        self.positions: dict[str, Position] = {}
        self.funding_fees: dict[str, Decimal] = {}  # running total per asset
        self._seen: deque[FundingFee] = deque(maxlen=SEEN_FUNDING)

    def apply(self, event: Mapping[str, Any]) -> Applied:
        """Take an ACCOUNT_UPDATE in; raises ParseError (changing nothing) if malformed."""
        balances, positions = parse_account_update(event)
        change = parse_account_change(event)
        self.balances |= balances
        stale = False
        for position in positions:
            known = self.positions.get(position.symbol)
            same = known is not None and known.quantity == position.quantity
            if position.quantity == 0:
                self.positions.pop(position.symbol, None)
                continue
            self.positions[position.symbol] = replace(
                position,
                leverage=self._leverage.get(position.symbol, self._default),
                liquidation_price=known.liquidation_price if known is not None and same else None,
            )
            stale = stale or not same
        fees = tuple(
            FundingFee(change.at, asset, amount)
            for asset, amount in change.balance_changes.items()
            if change.funding and amount
        )
        fees = tuple(fee for fee in fees if fee not in self._seen)
        for fee in fees:
            self._seen.append(fee)
            self.funding_fees[fee.asset] = self.funding_fees.get(fee.asset, Decimal(0)) + fee.amount
        return Applied(change.reason, fees, stale)

    def view(self, ts: datetime, reason: str, funding: tuple[FundingFee, ...]) -> AccountUpdate:
        return AccountUpdate(ts, reason, dict(self.balances), dict(self.positions), funding)
