"""OpsSettings: upper-case environment names, defaults, clear one-line errors."""

import pytest

from tui_trader.config import ConfigError
from tui_trader.domain.enums import Severity
from tui_trader.ops.settings import load_ops_settings


def test_defaults_send_nothing_and_serve_nothing() -> None:
    ops = load_ops_settings()
    assert (ops.slack_enabled, ops.telegram_enabled, ops.health_port) == (False, False, 0)
    assert ops.notify_min_severity is Severity.WARNING
    assert ops.notify_interval_s == 1.0 and ops.log_format == "console"
    assert ops.telegram_api_base == "https://api.telegram.org"


def test_environment_names_are_upper_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_ENABLED", "true")
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "-100123")
    monkeypatch.setenv("TELEGRAM_ALLOWED_USERS", "123, 456")
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:8081/")
    monkeypatch.setenv("NOTIFY_MIN_SEVERITY", "critical")
    monkeypatch.setenv("HEALTH_PORT", "9108")
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    ops = load_ops_settings()
    assert ops.telegram_chat_id == -100123
    assert ops.telegram_user_ids == frozenset({123, 456})
    assert ops.telegram_api_base == "http://127.0.0.1:8081"
    assert ops.notify_min_severity is Severity.CRITICAL
    assert (ops.health_port, ops.log_format) == (9108, "json")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"telegram_enabled": True}, "TELEGRAM_CHAT_ID: TELEGRAM_ENABLED=true needs the chat id"),
        ({"health_port": 70000}, "invalid setting HEALTH_PORT=70000"),
        ({"log_format": "xml"}, "invalid setting LOG_FORMAT='xml'"),
        ({"notify_interval_s": 0.2}, "invalid setting NOTIFY_INTERVAL_S=0.2"),
        ({"telegram_api_base": "ftp://x"}, "must be an http(s) URL"),
        ({"telegram_allowed_users": "123;456"}, "must be Telegram user ids separated by commas"),
        ({"telegram_allowed_users": "-5"}, "must be Telegram user ids separated by commas"),
        (
            {"telegram_enabled": True, "telegram_chat_id": -100123},
            "TELEGRAM_ALLOWED_USERS: TELEGRAM_CHAT_ID is a group",
        ),
    ],
)
def test_bad_values_name_the_variable(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_ops_settings(**overrides)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_settings_are_frozen() -> None:
    ops = load_ops_settings()
    with pytest.raises(ValueError, match="frozen"):
        ops.health_port = 1  # type: ignore[misc]


def test_a_group_may_be_notified_without_remote_control_or_with_an_allow_list() -> None:
    group = {"telegram_enabled": True, "telegram_chat_id": -100123}
    assert load_ops_settings(**group, telegram_remote=False).telegram_user_ids == frozenset()
    assert load_ops_settings(**group, telegram_allowed_users="7").telegram_user_ids == {7}
    assert load_ops_settings(telegram_enabled=True, telegram_chat_id=42).telegram_user_ids == set()
