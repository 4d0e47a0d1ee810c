"""The USD-M account as the futures broker knows it: wallet balances and open positions
with leverage and liquidation price. Pure: ACCOUNT_UPDATE events and positionRisk
replies go in, `AccountUpdate` views come out.

ACCOUNT_UPDATE carries no liquidation price; a position whose quantity is unchanged
keeps the one positionRisk gave, and `apply` says when it must be asked again. Funding
settlements are not taken from ACCOUNT_UPDATE (it has no settlement id, and one missed
while the stream is down is never sent again): `apply` only says that one happened, and
the broker reads them from the income history (futures_funding.py)."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tui_trader.binance.parse_account import parse_account_update
from tui_trader.binance.parse_futures import parse_account_reason
from tui_trader.domain.portfolio import Balance, FundingFee, Position


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """What the account looks like after an ACCOUNT_UPDATE, a positionRisk refresh or
    a read of the income history."""

    ts: datetime
    # ORDER, FUNDING_FEE, ... (ACCOUNT_UPDATE's), POSITION_RISK after a positionRisk
    # refresh, INCOME when new funding settlements were read from the income history
    reason: str
    balances: dict[str, Balance]
    positions: dict[str, Position]  # every open position, liquidation price if known
    funding: tuple[FundingFee, ...]  # settlements new to this broker (negative: paid)


@dataclass(frozen=True, slots=True)
class Applied:
    reason: str
    funding_event: bool  # funding was settled: read the income history
    stale: bool  # a position changed size: its liquidation price is unknown


class FuturesAccount:
    def __init__(self, leverage: Mapping[str, int], default_leverage: int) -> None:
        self._leverage, self._default = leverage, default_leverage
        self.balances: dict[str, Balance] = {}
        self.positions: dict[str, Position] = {}

    def apply(self, event: Mapping[str, Any]) -> Applied:
        """Take an ACCOUNT_UPDATE in; raises ParseError (changing nothing) if malformed."""
        balances, positions = parse_account_update(event)
        reason = parse_account_reason(event)
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
        return Applied(reason, reason == "FUNDING_FEE", stale)

    def view(self, ts: datetime, reason: str, funding: tuple[FundingFee, ...]) -> AccountUpdate:
        return AccountUpdate(ts, reason, dict(self.balances), dict(self.positions), funding)
