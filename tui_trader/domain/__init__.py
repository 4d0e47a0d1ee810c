"""Pure data shared by every layer: no I/O, no clock reads, no textual."""

from tui_trader.domain.enums import (
    FINAL_STATUSES,
    EngineState,
    IntentPurpose,
    MarketKind,
    OrderStatus,
    OrderType,
    Severity,
    Side,
    SignalAction,
)
from tui_trader.domain.events import SafetyEvent
from tui_trader.domain.market import Candle, Tick
from tui_trader.domain.orders import Fill, Order, OrderIntent, Signal
from tui_trader.domain.portfolio import Balance, FundingFee, Position, VenueFee

__all__ = [
    "FINAL_STATUSES",
    "Balance",
    "Candle",
    "EngineState",
    "Fill",
    "FundingFee",
    "IntentPurpose",
    "MarketKind",
    "Order",
    "OrderIntent",
    "OrderStatus",
    "OrderType",
    "Position",
    "SafetyEvent",
    "Severity",
    "Side",
    "Signal",
    "SignalAction",
    "Tick",
    "VenueFee",
]
