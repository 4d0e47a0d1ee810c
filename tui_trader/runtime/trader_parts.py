"""What a trader is built from (`build_trader` assembles it; tests build their own)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tui_trader.brokers.paper import PaperBroker
from tui_trader.clock import Clock, SimulatedClock
from tui_trader.config import Settings
from tui_trader.core.trading_core import TradingCore
from tui_trader.domain.events import SafetyEvent
from tui_trader.execution.gate import OrderGate
from tui_trader.journal.store import Journal
from tui_trader.market.feed import MarketFeed
from tui_trader.runtime.exchange_link import ExchangeSetup
from tui_trader.safety.kill_switch import KillSwitch
from tui_trader.safety.state_machine import EngineStateMachine

if TYPE_CHECKING:
    from tui_trader.ops.metrics import TraderMetrics
    from tui_trader.runtime.advice_wiring import AdviceWiring
    from tui_trader.runtime.ops_tasks import OpsWiring


@dataclass(slots=True)
class TraderParts:
    settings: Settings
    core: TradingCore
    gate: OrderGate
    broker: PaperBroker
    feed: MarketFeed
    journal: Journal
    kill_switch: KillSwitch
    machine: EngineStateMachine
    market_clock: SimulatedClock
    wall_clock: Clock
    safety_relay: "SafetyRelay"
    # Rebuilds the feed to resume at a given market time (the simulated market after a
    # restart); None for feeds that carry their own time (replay, exchange).
    resume_feed: Callable[[datetime], MarketFeed] | None = None
    advice: "AdviceWiring | None" = None  # the LLM advisor, when it is enabled
    ops: "OpsWiring | None" = None  # notifications, Telegram control, health, metrics
    metrics: "TraderMetrics | None" = None
    exchange: ExchangeSetup | None = None  # Binance data (and broker) instead of the sim


class SafetyRelay:
    """Lets parts built before the trader (feeds) report safety events to it."""

    def __init__(self) -> None:
        self._target: Callable[[SafetyEvent], None] = lambda _event: None

    def connect(self, target: Callable[[SafetyEvent], None]) -> None:
        """Events go to `target` from now on (the trader, once it is built)."""
        self._target = target

    def __call__(self, event: SafetyEvent) -> None:
        self._target(event)
