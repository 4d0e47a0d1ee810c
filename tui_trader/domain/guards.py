"""Exchange-side protective orders ("guards"): a stop and a take-profit the venue holds
for an open position, so it stays protected while the trader is down.

A guard is reduce-only: it can shrink or close its position, never open or grow one. Its
client id starts with GUARD_PREFIX (itself under the trader's "tt-" prefix, so a guard is
never mistaken for a foreign order), which is how a restarted trader finds its guards."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tui_trader.domain.enums import Side

GUARD_PREFIX = "tt-g-"


class GuardKind(StrEnum):
    STOP = "STOP_MARKET"  # sells a long below / buys a short back above the price
    TAKE_PROFIT = "TAKE_PROFIT_MARKET"  # the other way round
    # Spot: a stop and a take-profit in one OCO list (the base asset can be locked only
    # once); `trigger` is the stop, `take_profit` the limit above.
    BRACKET = "OCO"

    @property
    def label(self) -> str:
        return {"STOP_MARKET": "stop", "TAKE_PROFIT_MARKET": "take-profit"}.get(self, "stop+tp")

    @property
    def stops(self) -> bool:
        """Protects against a fall (long) / rise (short): never loosened."""
        return self is not GuardKind.TAKE_PROFIT


SEPARATE_GUARDS = frozenset({GuardKind.STOP, GuardKind.TAKE_PROFIT})  # e.g. USD-M algo orders


class GuardStatus(StrEnum):
    """The venue's lifecycle of a conditional order, reduced to what the trader acts on."""

    OPEN = "OPEN"  # waiting for its trigger
    TRIGGERED = "TRIGGERED"  # fired: its market order is (or was) on the book
    DONE = "DONE"  # finished after triggering: the position was closed by it
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"  # refused at placement or when it fired
    EXPIRED = "EXPIRED"  # the venue cancelled it (e.g. no position left to reduce)

    @property
    def working(self) -> bool:
        """Still protecting (or about to close) the position."""
        return self in (GuardStatus.OPEN, GuardStatus.TRIGGERED)


@dataclass(frozen=True, slots=True)
class GuardOrder:
    client_id: str
    symbol: str
    kind: GuardKind
    side: Side  # the closing side: SELL for a long, BUY for a short
    quantity: Decimal
    trigger: Decimal
    status: GuardStatus = GuardStatus.OPEN
    reason: str = ""  # the venue's words when it was rejected or expired
    take_profit: Decimal | None = None  # BRACKET only

    @property
    def protects_long(self) -> bool:
        return self.side is Side.SELL

    def describe(self) -> str:
        take = f"/{self.take_profit.normalize():f}" if self.take_profit is not None else ""
        return (
            f"{self.kind.label} {self.side} {self.quantity.normalize():f} {self.symbol} "
            f"@ {self.trigger.normalize():f}{take} ({self.client_id})"
        )


def is_guard_id(client_id: str) -> bool:
    return client_id.startswith(GUARD_PREFIX)


def guard_client_id(symbol: str, kind: GuardKind, trigger: Decimal, nonce: int) -> str:
    """A fresh id per placement (a moved guard is a new order): 5 + 24 = 29 characters,
    within Binance's 36."""
    seed = f"{symbol}|{kind}|{trigger}|{nonce}"
    return GUARD_PREFIX + hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()
