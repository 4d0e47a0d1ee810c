"""Builds the LLM advice link for a trader: the advisor, its journal sink, its API key.
The composition root (`build_trader`) hands an `AdviceWiring` to the trader only when
the advisor is enabled; the trader never imports this module itself."""

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_trader.config import Settings
from tui_trader.domain.enums import Severity
from tui_trader.domain.events import SafetyEvent, SafetyKind
from tui_trader.domain.orders import OrderIntent
from tui_trader.llm.settings import LLMSettings
from tui_trader.resilience.breaker import ServiceBreaker
from tui_trader.risk.exit_plan import ExitPlan
from tui_trader.runtime.advice_link import AdviceLink, DecideHooks
from tui_trader.runtime.plan_store import save_plan

if TYPE_CHECKING:
    from tui_trader.runtime.trader import Trader


@dataclass(frozen=True, slots=True)
class AdviceWiring:
    """How a trader gets its advice link and, at open, the LLM key."""

    llm: LLMSettings

    def link(self, trader: "Trader") -> AdviceLink:
        return build_advice_link(self.llm, trader)

    async def api_key(self, settings: Settings) -> str | None:
        return await llm_key(settings)


def build_advice_link(settings: LLMSettings, trader: "Trader") -> AdviceLink:
    """The LLM advisor, journaled and wired to this trader's gate."""
    from tui_trader.llm.advisor import LLMAdvisor
    from tui_trader.llm.client import build_client
    from tui_trader.runtime.llm_context import advisor_context, constraints

    advisor = LLMAdvisor(
        settings,
        lambda: build_client(settings, trader.llm_api_key),
        trader.parts.market_clock,
        lambda record: trader.parts.journal.record_event("decisions", str(record["kind"]), record),
        breaker=ServiceBreaker(
            "LLM advisor",
            trader.parts.wall_clock,
            failure_threshold=trader.settings.breaker_failures,
            reset_after_s=trader.settings.breaker_reset_s,
            on_event=trader.record_safety,
        ),
    )

    def refuse(intent: OrderIntent, reason: str) -> None:
        trader.core.on_refused(intent)
        trader.record_safety(
            SafetyEvent(
                trader.parts.market_clock.now(),
                Severity.WARNING,
                SafetyKind.LLM_GATE,
                f"{intent.side} {intent.symbol} entry not sent: {reason}",
                symbol=intent.symbol,
            )
        )

    def refused(symbol: str, reason: str) -> None:
        now = trader.parts.market_clock.now()
        trader.record_safety(
            SafetyEvent(now, Severity.WARNING, SafetyKind.LLM_GATE, reason, symbol=symbol)
        )

    return AdviceLink(
        advisor,
        trader.parts.market_clock,
        lambda symbol: advisor_context(trader, symbol),
        lambda symbol: constraints(trader, symbol),
        trader.engine.submit,
        refuse,
        DecideHooks(
            claim=lambda symbol: trader.core.claim_entry(symbol, trader.parts.market_clock.now()),
            # Looked up per call: the market state is replaced when Binance takes over.
            price_of=lambda symbol: trader.core.parts.market.price(symbol),
            symbols=lambda: tuple(trader.core.parts.market.symbols),
            wall_clock=trader.parts.wall_clock,
            report=lambda message: trader.record_safety(
                SafetyEvent(
                    trader.parts.wall_clock.now(), Severity.WARNING, SafetyKind.LLM_GATE, message
                )
            ),
            refused=refused,
        ),
        arm=lambda symbol, plan: arm_plan(trader, symbol, plan),
    )


def arm_plan(trader: "Trader", symbol: str, plan: ExitPlan | None) -> None:
    """The exit plan of `symbol`'s next position, journaled for a restart."""
    trader.core.parts.exits.set_plan(symbol, plan)
    save_plan(trader.parts.journal, symbol, plan)


async def llm_key(settings: Settings) -> str | None:
    """The LLM key: environment (paper/testnet) or keyring; local servers need none."""
    from tui_trader.secrets import resolve_secret
    from tui_trader.secrets.process_store import optional_secret_store

    store = await optional_secret_store(settings)
    live = settings.trading_mode == "live"
    found = await resolve_secret("openai", "key", "live" if live else "paper", os.environ, store)
    return found[0] if found else None
