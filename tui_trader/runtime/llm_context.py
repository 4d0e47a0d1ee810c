"""The advisor's input, built from the trader's live state (market, indicators, account,
orders, positions, risk limits). Plain data only: no secrets reach a prompt."""

from typing import TYPE_CHECKING

from tui_trader.llm.prompt import AccountBrief, AdvisorContext, LimitValue, MarketBrief

if TYPE_CHECKING:
    from tui_trader.runtime.trader import Trader


def risk_limits(trader: "Trader") -> dict[str, LimitValue]:
    s = trader.settings
    return {
        "max_position_pct": s.max_position_pct,
        "position_size_pct": s.position_size_pct,
        "max_open_positions": s.max_open_positions,
        "max_daily_loss_pct": s.max_daily_loss_pct,
        "stop_loss_pct": s.stop_loss_pct,
        "take_profit_pct": s.take_profit_pct,
        "trailing_stop_pct": s.trailing_stop_pct,
        "max_leverage": s.max_leverage,
        "market_type": s.market_type.value,
    }


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
        risk_limits=risk_limits(trader),
        signal=trader.core.last_signals.get(symbol),
    )
