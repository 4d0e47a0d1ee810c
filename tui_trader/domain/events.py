"""Safety events: anything an operator must know about (breakers, anomalies, rejections)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui_trader.domain.enums import Severity


@dataclass(frozen=True, slots=True)
class SafetyEvent:
    ts: datetime
    severity: Severity
    kind: str  # short machine name: circuit_breaker, price_jump, risk_rejected, kill_switch...
    message: str
    symbol: str = ""
    data: dict[str, Any] = field(default_factory=dict)
