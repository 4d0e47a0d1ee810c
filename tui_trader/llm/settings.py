"""LLM settings: environment names are the field names in upper case (LLM_ENABLED, ...).
The API key is not a setting: it comes from the keyring (or OPENAI_API_KEY outside live)."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from tui_trader.config import SETTINGS_CONFIG, load_group

LLMMode = Literal["advisory", "gate", "decide"]
DAY_S = 86400


class LLMSettings(BaseSettings):
    model_config = SETTINGS_CONFIG

    llm_enabled: bool = False
    llm_mode: LLMMode = "advisory"
    llm_base_url: str = "https://api.openai.com/v1"
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: Annotated[float, Field(gt=0, le=600)] = 20.0
    llm_max_retries: Annotated[int, Field(ge=0, le=5)] = 1
    llm_temperature: Annotated[float, Field(ge=0, le=2)] = 0.2
    # Periods are at most a day or a week: they become timedeltas added to datetimes.
    llm_cooldown_s: Annotated[float, Field(ge=0, le=DAY_S)] = 300.0  # per symbol
    llm_daily_call_budget: Annotated[int, Field(ge=0, le=1_000_000)] = 200
    llm_daily_token_budget: Annotated[int, Field(ge=0, le=10_000_000_000)] = 300_000
    llm_cost_per_1k_input: Annotated[Decimal, Field(ge=0, le=1000)] = Decimal("0.00015")
    llm_cost_per_1k_output: Annotated[Decimal, Field(ge=0, le=1000)] = Decimal("0.0006")
    llm_gate_threshold: Annotated[float, Field(ge=0, le=1)] = 0.6
    llm_timer_s: Annotated[float, Field(ge=1, le=7 * DAY_S)] = 900.0
    # Decide mode: also ask for a decision on every symbol at these wall-clock-aligned
    # times (15: :00, :15, :30, :45), not only when a strategy wants to enter. 0 = never.
    llm_decide_every_min: Annotated[float, Field(ge=0, le=7 * DAY_S / 60)] = 0

    @property
    def request_deadline_s(self) -> float:
        """The most one request may take in total: every attempt's timeout plus the SDK's
        backoff between attempts (0.5 s doubling, capped at 8 s)."""
        backoff = sum(min(0.5 * float(2**n), 8.0) for n in range(self.llm_max_retries))
        return self.llm_timeout_s * (self.llm_max_retries + 1) + backoff + 1.0


def load_llm_settings(**overrides: Any) -> LLMSettings:
    """Build from env/.env plus explicit overrides, or raise ConfigError (exit 2)."""
    return load_group(LLMSettings, **overrides)
