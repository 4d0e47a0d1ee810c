"""Safety events: anything an operator must know about (breakers, anomalies, rejections)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum, auto
from typing import Any

from tui_trader.domain.enums import Severity


class SafetyKind(StrEnum):
    """What a safety event is about. Stored by value in the journal; code compares
    members, never strings. A kind this version does not know (a newer journal) reads
    as UNKNOWN, its message intact."""

    ACCOUNT_LISTENER_FAILED = auto()
    BAD_MARKET_DATA = auto()
    BAD_TICK = auto()
    BAD_USER_EVENT = auto()
    BALANCE_MISMATCH = auto()
    BREAKER_CLOSED = auto()
    BREAKER_OPEN = auto()
    CIRCUIT_BREAKER = auto()
    CLOCK_RESYNC = auto()
    ENGINE_ERROR = auto()
    EXCHANGE_BACK = auto()
    EXCHANGE_CONNECTED = auto()
    EXCHANGE_KEYS = auto()
    EXCHANGE_RETRY_FAILED = auto()
    EXCHANGE_STOP = auto()
    EXCHANGE_SWITCH = auto()
    EXCHANGE_SWITCH_FAILED = auto()
    EXCHANGE_UNREACHABLE = auto()
    EXIT_QUEUED = auto()
    FEED_ERROR = auto()
    FLAT_VERIFIED = auto()
    FEED_FAILED = auto()
    FEED_RECONNECT = auto()
    FOREIGN_ORDER = auto()
    FUNDING_FEE = auto()
    FUNDING_NOT_BOOKED = auto()
    FUNDING_UNKNOWN = auto()
    FUTURES_SETUP = auto()
    HEALTH = auto()
    JOURNAL_FAILED = auto()
    JOURNAL_RECOVERED = auto()
    KILL_SWITCH = auto()
    KILL_SWITCH_TRIGGER = auto()
    LIQUIDATION = auto()
    LIVE_MODE = auto()
    LLM_GATE = auto()
    NOT_FLAT = auto()
    ORDER_FAILED = auto()
    ORDER_REJECTED = auto()
    PLUGIN = auto()
    PROTECTION = auto()
    POSITION_MODE = auto()
    POSITIONS_STALE = auto()
    PRICE_JUMP = auto()
    RATE_LIMITED = auto()
    RATE_SLOWDOWN = auto()
    RECONCILIATION = auto()
    RISK_REJECTED = auto()
    SCHEDULE = auto()
    TRADING_STATE = auto()
    UNREADABLE_ORDER = auto()
    USER_STREAM_FAILED = auto()
    USER_STREAM_HEALTHY = auto()
    USER_STREAM_RESUBSCRIBED = auto()
    USER_STREAM_SILENT = auto()
    WIDE_SPREAD = auto()
    WORKER_FAILED = auto()
    UNKNOWN = auto()

    @classmethod
    def _missing_(cls, value: object) -> "SafetyKind":
        return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class SafetyEvent:
    ts: datetime
    severity: Severity
    kind: SafetyKind
    message: str
    symbol: str = ""
    data: dict[str, Any] = field(default_factory=dict)


SafetyListener = Callable[[SafetyEvent], None]
_log = logging.getLogger(__name__)


def tell(listener: SafetyListener | None, event: SafetyEvent) -> None:
    """Give `event` to `listener`, if there is one. A listener that fails is logged and
    never raised into the teller: a stream, a feed or a broker must not go down with it."""
    if listener is None:
        return
    try:
        listener(event)
    except Exception:
        _log.exception("safety listener failed on %r", event)
