"""Every settings group, read once at the entry point and passed down: nothing below the
command line instantiates a settings class."""

from dataclasses import dataclass
from typing import Any

from tui_trader.config import Settings, load_settings, with_strategy_params
from tui_trader.llm.settings import LLMSettings, load_llm_settings
from tui_trader.ops.settings import OpsSettings, load_ops_settings


@dataclass(frozen=True, slots=True)
class ProgramSettings:
    core: Settings  # market, risk, strategy, data dir
    llm: LLMSettings  # the advisor
    ops: OpsSettings  # notifications, Telegram control, health endpoint, log format


def read_program_settings(*, run: bool, **overrides: Any) -> ProgramSettings:
    """All groups validated now, so a bad value in any of them stops the program before
    it does anything (ConfigError, exit 2); `run` also checks the strategy's parameters."""
    core = load_settings(**overrides)
    if run:
        core = with_strategy_params(core, core.strategy_params)
    return ProgramSettings(core, load_llm_settings(), load_ops_settings())
