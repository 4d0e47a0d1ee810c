"""Input builder: plain market/account data → chat messages.

Only whitelisted fields are copied into the prompt (no settings object, no broker or
client object is ever serialised), and the result still goes through the redactor, so
a secret cannot leak into a provider's logs by accident."""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from tui_trader.domain.orders import Order, Signal
from tui_trader.domain.portfolio import Position
from tui_trader.llm.schemas import AdvisoryOutput, DecisionOutput, OutputModel
from tui_trader.llm.settings import LLMMode
from tui_trader.secrets.redact import redact

Trigger = Literal["signal", "volatility", "timer"]
Message = dict[str, str]
LimitValue = Decimal | int | float | str


@dataclass(frozen=True, slots=True)
class MarketBrief:
    symbol: str
    last: Decimal
    bid: Decimal
    ask: Decimal
    change_pct: Decimal
    indicators: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AccountBrief:
    quote_asset: str
    equity: Decimal
    cash: Decimal
    positions: tuple[Position, ...] = ()
    open_orders: tuple[Order, ...] = ()


@dataclass(frozen=True, slots=True)
class AdvisorContext:
    markets: tuple[MarketBrief, ...]
    account: AccountBrief
    # What the account allows: risk limits, leverage, fees, the symbol's exchange rules.
    risk_limits: Mapping[str, LimitValue] = field(default_factory=dict)
    signal: Signal | None = None  # the strategy signal that triggered the request, if any
    environment: Literal["paper", "testnet", "live"] = "paper"


_ROLE = (
    "You assist an automated crypto trading system on Binance. You cannot place or "
    "cancel orders; the system's own risk checks decide. Be conservative: when the data "
    "does not clearly support a trade, say so. Reply with ONE JSON object that matches "
    "this JSON schema exactly, and nothing else:\n"
)
_TASK = {
    "advisory": "Advise on {symbol}: HOLD, BUY_CONSIDER or SELL_CONSIDER, with confidence 0-1.",
    "gate": "Should a new {side} entry on {symbol} be allowed now? Answer BUY_CONSIDER or "
    "SELL_CONSIDER only if you would take that entry yourself; otherwise HOLD.",
    "decide": "Decide long, short or flat for {symbol}, within the constraints (a decision "
    "outside them is refused). Prices in the quote asset. order_type market takes the "
    "market price (entry_price null); limit needs entry_price. size_pct_equity is the "
    "margin as a percentage of equity: the position's value is equity x size_pct_equity "
    "/ 100 x leverage, rounded down to the step, and with every scale_in must stay within "
    "max_position_pct; leverage 1 on spot, at most max_leverage on futures. stop_loss is "
    "required; take_profits close their close_ratio of the position each (ratios sum to "
    "at most 1; the rest follows the stop, the trailing stop and the hold duration); the "
    "trailing stop starts at activation_price and closes callback_rate_pct back from the "
    "best price since; scale_in adds size_pct_equity when the price comes back to a level "
    "between the entry and the stop; hold_duration_min closes the position after that "
    "long (at most max_holding_minutes when that is not 0; null: max_holding_minutes). "
    "These levels replace stop_loss_pct, take_profit_pct and trailing_stop_pct: an empty "
    "take_profits or a null trailing_stop means none. A long or short needs "
    "confidence of at least min_confidence. On futures the exchange keeps each symbol "
    "at max_leverage: the margin it locks is the position's value / max_leverage, and "
    "a stop_loss at or past that margin's liquidation (1 / max_leverage - 0.4% from the "
    "entry) is refused.",
}


def output_model(mode: LLMMode) -> OutputModel:
    return DecisionOutput if mode == "decide" else AdvisoryOutput


def build_messages(
    symbol: str, trigger: Trigger, mode: LLMMode, context: AdvisorContext
) -> list[Message]:
    schema = json.dumps(output_model(mode).model_json_schema(), separators=(",", ":"))
    side = context.signal.action.value if context.signal else "BUY"
    payload = {
        "task": _TASK[mode].format(symbol=symbol, side=side),
        "trigger": trigger,
        "markets": [_market(m) for m in context.markets],
        "account": _account(context.account),
        "environment": context.environment,
        "constraints": {str(k): _plain(v) for k, v in context.risk_limits.items()},
        "signal": _signal(context.signal) if context.signal else None,
    }
    user = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str)
    return [
        {"role": "system", "content": redact(_ROLE + schema)},
        {"role": "user", "content": redact(user)},
    ]


def _plain(value: LimitValue | None) -> str | int | float | None:
    """Money as strings (exact), floats finite or null: JSON the model can read back."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _market(brief: MarketBrief) -> dict[str, object]:
    return {
        "symbol": brief.symbol,
        "last": str(brief.last),
        "bid": str(brief.bid),
        "ask": str(brief.ask),
        "change_pct": str(brief.change_pct),
        "indicators": {str(k): _plain(v) for k, v in brief.indicators.items()},
    }


def _account(brief: AccountBrief) -> dict[str, object]:
    return {
        "quote_asset": brief.quote_asset,
        "equity": str(brief.equity),
        "cash": str(brief.cash),
        "positions": [_position(p) for p in brief.positions if p.is_open],
        "open_orders": [_order(o) for o in brief.open_orders if o.is_open],
    }


def _position(pos: Position) -> dict[str, object]:
    return {
        "symbol": pos.symbol,
        "quantity": str(pos.quantity),
        "average_entry": str(pos.average_entry),
        "mark_price": str(pos.mark_price),
        "unrealized_pnl": str(pos.unrealized_pnl),
        "leverage": pos.leverage,
    }


def _order(order: Order) -> dict[str, object]:
    return {
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.order_type.value,
        "quantity": str(order.quantity),
        "price": str(order.price) if order.price is not None else None,
        "filled": str(order.filled_quantity),
        "purpose": order.purpose.value,
    }


def _signal(signal: Signal) -> dict[str, object]:
    return {
        "action": signal.action.value,
        "confidence": signal.confidence,
        "reason": signal.reason,
        "price": str(signal.price),
        "strategy": signal.strategy,
    }
