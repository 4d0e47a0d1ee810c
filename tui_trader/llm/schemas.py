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


class DecisionPosition(_Strict):
    entry: Price
    size: Annotated[Amount, Field(gt=0)]  # base-asset quantity
    stop_loss: Price
    take_profits: Annotated[list[Price], Field(min_length=1, max_length=5)]
    trailing_stop: Amount | None  # distance in percent; null for none
    expected_fees: Annotated[Amount, Field(ge=0)]  # quote asset
    estimated_liquidation_price: Amount | None  # null on spot / without leverage


class DecisionRisk(_Strict):
    leverage: Annotated[int, Field(ge=1, le=125)]
    max_loss_quote: Annotated[Amount, Field(ge=0)]
    risk_reward: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Scenario(_Strict):
    name: Annotated[str, Field(max_length=40)]
    probability: Confidence
    description: Annotated[str, Field(max_length=200)]


class DecisionOutput(_Strict):
    """Auto-Futures style decision. `position` is null for "flat"."""

    decision: Literal["long", "short", "flat"]
    timeframe: Annotated[str, Field(max_length=20)]
    rationale: Annotated[str, Field(max_length=800)]
    position: DecisionPosition | None
    risk: DecisionRisk
    scenarios: Annotated[list[Scenario], Field(max_length=5)]
    invalidations: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=5)]
    confidence: Confidence
    next_check_after_min: Annotated[int, Field(ge=1, le=1440)]
    compliance_codes: Annotated[
        list[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,39}$")]], Field(max_length=10)
    ]

    @model_validator(mode="after")
    def _levels_make_sense(self) -> "DecisionOutput":
        """A long's stop below entry and targets above (a short the other way round):
        levels on the wrong side would turn a 'stop' into an instant exit."""
        pos = self.position
        if self.decision == "flat" or pos is None:
            if self.decision != "flat":
                raise ValueError(f"a {self.decision} decision needs a position")
            return self
        sign = 1 if self.decision == "long" else -1
        if sign * (pos.entry - pos.stop_loss) <= 0:
            raise ValueError(f"stop_loss {pos.stop_loss} is on the wrong side of entry")
        if any(sign * (tp - pos.entry) <= 0 for tp in pos.take_profits):
            raise ValueError("every take_profit must be beyond entry in the trade's direction")
        return self


OutputModel = type[AdvisoryOutput] | type[DecisionOutput]
