"""LLM settings: environment names are the field names in upper case (LLM_ENABLED, ...).
The API key is not a setting: it comes from the keyring (or OPENAI_API_KEY outside live)."""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMMode = Literal["advisory", "gate", "decide"]


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        case_sensitive=False,
    )

    llm_enabled: bool = False
    llm_mode: LLMMode = "advisory"
    llm_base_url: str = "https://api.openai.com/v1"
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: Annotated[float, Field(gt=0, le=600)] = 20.0
    llm_max_retries: Annotated[int, Field(ge=0, le=5)] = 1
    llm_temperature: Annotated[float, Field(ge=0, le=2)] = 0.2
    llm_cooldown_s: Annotated[float, Field(ge=0)] = 300.0  # per symbol
    llm_daily_call_budget: Annotated[int, Field(ge=0)] = 200
    llm_daily_token_budget: Annotated[int, Field(ge=0)] = 300_000
    llm_cost_per_1k_input: Annotated[Decimal, Field(ge=0)] = Decimal("0.00015")
    llm_cost_per_1k_output: Annotated[Decimal, Field(ge=0)] = Decimal("0.0006")
    llm_gate_threshold: Annotated[float, Field(ge=0, le=1)] = 0.6
    llm_timer_s: Annotated[float, Field(gt=0)] = 900.0

    @property
    def request_deadline_s(self) -> float:
        """The most one request may take in total: every attempt's timeout plus the SDK's
        backoff between attempts (0.5 s doubling, capped at 8 s)."""
        backoff = sum(min(0.5 * float(2**n), 8.0) for n in range(self.llm_max_retries))
        return self.llm_timeout_s * (self.llm_max_retries + 1) + backoff + 1.0
