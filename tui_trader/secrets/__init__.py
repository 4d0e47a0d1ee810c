"""Secrets: the OS keyring (chosen explicitly), key resolution per mode, redaction."""

from tui_trader.secrets.backend import (
    HEADLESS_HELP,
    SERVICE,
    BackendChoice,
    KeyringLocked,
    NoKeyringBackend,
    SecretsError,
    cryptfile_available,
    select_backend,
)
from tui_trader.secrets.env import (
    ExchangeKeys,
    ExchangeKeysError,
    KeyMode,
    LiveKeysError,
    check_env_file,
    resolve_exchange_keys,
    resolve_secret,
)
from tui_trader.secrets.redact import (
    RedactingFilter,
    Redactor,
    default_redactor,
    format_exception_redacted,
    install_excepthook,
    install_log_redaction,
    mask,
    redact,
)
from tui_trader.secrets.store import (
    EXCHANGE_NAMES,
    SECRET_FIELDS,
    SecretStore,
    UnknownSecretName,
)

__all__ = [
    "EXCHANGE_NAMES",
    "HEADLESS_HELP",
    "SECRET_FIELDS",
    "SERVICE",
    "BackendChoice",
    "ExchangeKeys",
    "ExchangeKeysError",
    "KeyMode",
    "KeyringLocked",
    "LiveKeysError",
    "NoKeyringBackend",
    "RedactingFilter",
    "Redactor",
    "SecretStore",
    "SecretsError",
    "UnknownSecretName",
    "check_env_file",
    "cryptfile_available",
    "default_redactor",
    "format_exception_redacted",
    "install_excepthook",
    "install_log_redaction",
    "mask",
    "redact",
    "resolve_exchange_keys",
    "resolve_secret",
    "select_backend",
]
