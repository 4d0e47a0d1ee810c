"""Operations settings (notifications, Telegram control, health endpoint, logs, doctor),
from the environment and `.env` like the trader's own settings, validated and frozen.

Secrets are not here: the Telegram bot token and the Slack webhook URL come from the
keyring (`tui-trader keys set telegram|slack`), or the environment in paper mode."""

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings

from tui_trader.config import SETTINGS_CONFIG, load_group
from tui_trader.domain.enums import Severity

LogFormat = Literal["console", "json"]


class OpsSettings(BaseSettings):
    model_config = SETTINGS_CONFIG

    # --- notifications -------------------------------------------------------------
    notify_min_severity: Severity = Severity.WARNING
    notify_signals: bool = True
    notify_interval_s: Annotated[float, Field(ge=1.0, le=3600)] = 1.0  # per channel
    # Every ERROR log line notifies too, at most this many an hour (the rest counted).
    notify_error_logs: bool = True
    notify_error_logs_per_hour: Annotated[int, Field(ge=1, le=3600)] = 6
    daily_summary: bool = True  # at 00:00 UTC
    slack_enabled: bool = False
    telegram_enabled: bool = False
    # Telegram ids fit in 52 bits (negative for groups); beyond 2**53 is a typo.
    telegram_chat_id: Annotated[int, Field(ge=-(2**53), le=2**53)] | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_remote: bool = True  # accept commands from TELEGRAM_CHAT_ID
    telegram_poll_s: Annotated[int, Field(ge=1, le=50)] = 30
    # Telegram user ids (message.from.id) whose commands are obeyed, "123,456". Empty: only
    # the user of a private chat. A group chat needs the list: any member could /kill.
    telegram_allowed_users: str = ""

    # --- the weekly job hook: a command run every week at the aligned time -----------
    weekly_hook: str = ""  # e.g. "/home/trader/bin/weekly-report --email"; empty: none
    weekly_hook_timeout_s: Annotated[float, Field(ge=1, le=6 * 3600)] = 600

    # --- health, logs, doctor --------------------------------------------------------
    health_port: Annotated[int, Field(ge=0, le=65535)] = 0  # 0 = no health server
    log_format: LogFormat = "console"
    # doctor: FAIL below, WARN below 4x; at most 1 PiB
    min_free_disk_mb: Annotated[int, Field(ge=0, le=1024**3)] = 500
    max_clock_skew_ms: Annotated[int, Field(ge=1, le=60000)] = 1000

    @field_validator("notify_min_severity", mode="before")
    @classmethod
    def _upper_severity(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("telegram_api_base")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value.rstrip("/")

    @field_validator("telegram_allowed_users")
    @classmethod
    def _user_ids(cls, value: str) -> str:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not all(part.isdigit() and 0 < int(part) < 2**53 for part in parts):
            raise ValueError("must be Telegram user ids separated by commas, e.g. 123,456")
        return ",".join(parts)

    @property
    def telegram_user_ids(self) -> frozenset[int]:
        return frozenset(int(part) for part in self.telegram_allowed_users.split(",") if part)

    @model_validator(mode="after")
    def _check_combinations(self) -> "OpsSettings":
        if self.telegram_enabled and self.telegram_chat_id is None:
            raise ValueError(
                "TELEGRAM_CHAT_ID: TELEGRAM_ENABLED=true needs the chat id to send to and "
                "to accept commands from"
            )
        group = self.telegram_chat_id is not None and self.telegram_chat_id < 0
        remote = self.telegram_enabled and self.telegram_remote
        if remote and group and not self.telegram_allowed_users:
            raise ValueError(
                "TELEGRAM_ALLOWED_USERS: TELEGRAM_CHAT_ID is a group, where every member "
                "could send /kill; list the user ids allowed to command "
                "(TELEGRAM_ALLOWED_USERS=123,456) or set TELEGRAM_REMOTE=false"
            )
        return self


def load_ops_settings(**overrides: Any) -> OpsSettings:
    """Build from env/.env plus explicit overrides, or raise ConfigError (exit 2)."""
    return load_group(OpsSettings, **overrides)
