"""The advisor's input, built from the trader's live state (market, indicators, account,
orders, positions, risk limits, the symbol's exchange rules, the environment), and the
constraints a decision is held to: the same numbers. Plain data only: no secrets reach
a prompt."""

from typing import TYPE_CHECKING, Literal

from tui_trader.llm.decision import Constraints
from tui_trader.llm.prompt import AccountBrief, AdvisorContext, LimitValue, MarketBrief

if TYPE_CHECKING:
    from tui_trader.runtime.trader import Trader


def risk_limits(trader: "Trader", symbol: str) -> dict[str, LimitValue]:
    s = trader.settings
    held_to = constraints(trader, symbol)
    rules = held_to.rules
    return {
        "tick_size": rules.tick_size,
        "step_size": rules.step_size,
        "min_qty": rules.min_qty,
        "min_notional": rules.min_notional,
        "fee_rate": s.fee_rate,
        "allow_market_orders": str(s.allow_market_orders).lower(),
        "max_holding_minutes": s.max_holding_minutes,
        "exchange_side_stops": str(held_to.exchange_stops).lower(),
        "max_position_pct": s.max_position_pct,
        "position_size_pct": s.position_size_pct,
        "max_open_positions": s.max_open_positions,
        "max_daily_loss_pct": s.max_daily_loss_pct,
        "stop_loss_pct": s.stop_loss_pct,
        "take_profit_pct": s.take_profit_pct,
        "trailing_stop_pct": s.trailing_stop_pct,
        "max_leverage": s.max_leverage,
        "market_type": s.market_type.value,
        "min_confidence": held_to.min_confidence,
    }


def constraints(trader: "Trader", symbol: str) -> Constraints:
    """What a decision for `symbol` is held to now (the rules in force, today's equity)."""
    s, parts, advice = trader.settings, trader.core.parts, trader.parts.advice
    return Constraints(
        market=s.market_type,
        equity=parts.portfolio.equity(),
        max_leverage=s.max_leverage,
        max_position_pct=s.max_position_pct,
        max_holding_minutes=s.max_holding_minutes,
        rules=parts.rules[symbol],
        exchange_stops=trader.exchange.guards.keeper is not None,
        min_confidence=advice.llm.llm_gate_threshold if advice is not None else 0.0,
    )


def environment(trader: "Trader") -> Literal["paper", "testnet", "live"]:
    mode = trader.exchange.mode
    return "live" if mode == "LIVE" else "testnet" if mode == "TESTNET" else "paper"


def advisor_context(trader: "Trader", symbol: str) -> AdvisorContext:
    parts = trader.core.parts
    state = parts.market.symbols[symbol]
    strategy = parts.strategies.get(symbol)
    market = MarketBrief(
        symbol=symbol,
        last=state.last,
        bid=state.bid,
        ask=state.ask,
        change_pct=state.change_pct,
        indicators=strategy.indicators() if strategy is not None else {},
    )
    portfolio = parts.portfolio
    account = AccountBrief(
        quote_asset=trader.settings.quote_asset,
        equity=portfolio.equity(),
        cash=portfolio.cash,
        positions=tuple(portfolio.positions.values()),
        open_orders=tuple(parts.orders.open_orders()),
    )
    return AdvisorContext(
        markets=(market,),
        account=account,
        risk_limits=risk_limits(trader, symbol),
        signal=trader.core.last_signals.get(symbol),
        environment=environment(trader),
    )
