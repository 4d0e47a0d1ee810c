"""What the model must answer, as strict pydantic models (extra fields are an error).

The same models serve structured output (`chat.completions.parse(response_format=...)`)
and the plain-JSON fallback, so both paths validate identically."""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from tui_trader.numbers import bounded

# Numbers a model writes are outside input like any other: bounded as the exchange's are
# (finite, 1e-18..1e21, 18 places; numbers.py), so "1e999999" in a string is refused.
InRange = AfterValidator(bounded)
Confidence = Annotated[float, Field(ge=0, le=1)]
Price = Annotated[Decimal, Field(gt=0), InRange]
Amount = Annotated[Decimal, InRange]
# How a reply was obtained: the SDK's structured output, the plain-JSON fallback, or not
# at all. Here, not in the client, so code that only reads advice never loads the SDK.
ReplyPath = Literal["structured", "fallback", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdvisoryOutput(_Strict):
    action: Literal["HOLD", "BUY_CONSIDER", "SELL_CONSIDER"]
    confidence: Confidence
    reasoning: Annotated[str, Field(max_length=500)]
    risk_notes: Annotated[str, Field(max_length=300)]


SharePct = Annotated[Decimal, Field(gt=0, le=100), InRange]  # a share of equity, in percent
Ratio = Annotated[Decimal, Field(gt=0, le=1), InRange]
MAX_HOLD_MIN = 366 * 24 * 60  # a year, as MAX_HOLDING_MINUTES


class TakeProfit(_Strict):
    price: Price
    close_ratio: Ratio  # the share of the position closed at `price` (reduce-only)


class TrailingStop(_Strict):
    """Binance's TRAILING_STOP_MARKET: it starts trailing once the price reaches
    `activation_price`, then closes when the price falls back `callback_rate_pct` from
    the best price since (rises, for a short)."""

    activation_price: Price
    callback_rate_pct: Annotated[Decimal, Field(ge=Decimal("0.1"), le=10), InRange]


class ScaleIn(_Strict):
    """One add to the position: a new entry of `size_pct_equity` (at the decision's
    leverage) when the price comes back to `price`, between the entry and the stop."""

    price: Price
    size_pct_equity: SharePct


class DecisionOrder(_Strict):
    order_type: Literal["market", "limit"]
    entry_price: Price | None  # a limit's price; null for market (the market price applies)
    size_pct_equity: SharePct  # margin as a share of equity; notional = that × leverage
    leverage: Annotated[int, Field(ge=1, le=125)]
    stop_loss: Price
    take_profits: Annotated[list[TakeProfit], Field(max_length=5)]
    trailing_stop: TrailingStop | None
    scale_in: Annotated[list[ScaleIn], Field(max_length=3)]
    hold_duration_min: Annotated[int, Field(ge=1, le=MAX_HOLD_MIN)] | None

    @model_validator(mode="after")
    def _consistent(self) -> "DecisionOrder":
        """What can be checked without the market: the price a limit needs, ratios that
        close at most the whole position, no level twice."""
        if self.order_type == "limit" and self.entry_price is None:
            raise ValueError("a limit order needs entry_price")
        if self.order_type == "market" and self.entry_price is not None:
            raise ValueError("a market order takes the market price: entry_price must be null")
        total = sum((tp.close_ratio for tp in self.take_profits), Decimal(0))
        if total > 1:
            raise ValueError(f"take_profits close_ratio values sum to {total}, more than 1")
        prices = [tp.price for tp in self.take_profits]
        if len(set(prices)) != len(prices):
            raise ValueError("two take_profits at the same price")
        return self


class DecisionOutput(_Strict):
    """A futures-style decision. `order` is null for "flat"."""

    decision: Literal["long", "short", "flat"]
    confidence: Confidence
    rationale: Annotated[str, Field(max_length=800)]
    notes: Annotated[str, Field(max_length=500)]  # shown and journaled as text only
    order: DecisionOrder | None

    @model_validator(mode="after")
    def _order_matches(self) -> "DecisionOutput":
        if self.decision == "flat" and self.order is not None:
            raise ValueError("a flat decision takes no order: order must be null")
        if self.decision != "flat" and self.order is None:
            raise ValueError(f"a {self.decision} decision needs an order")
        return self


OutputModel = type[AdvisoryOutput] | type[DecisionOutput]
