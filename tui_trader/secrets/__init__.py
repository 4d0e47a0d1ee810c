"""Secrets: the OS keyring (chosen explicitly), key resolution per mode, redaction.

Every command imports this package for redaction, but only the commands that read or
store keys need the keyring side (`keyring` takes ~50 ms to import): its names are
loaded from their module on first use (PEP 562). Redaction is imported eagerly: it is
cheap, and its function `redact` shares the name of its module."""

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
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
    from tui_trader.secrets.store import (
        EXCHANGE_NAMES,
        SECRET_FIELDS,
        SecretStore,
        UnknownSecretName,
    )

# Where each lazily loaded name lives (imported above for type checkers only).
_NAMES = {
    "backend": (
        "HEADLESS_HELP",
        "SERVICE",
        "BackendChoice",
        "KeyringLocked",
        "NoKeyringBackend",
        "SecretsError",
        "cryptfile_available",
        "select_backend",
    ),
    "env": (
        "ExchangeKeys",
        "ExchangeKeysError",
        "KeyMode",
        "LiveKeysError",
        "check_env_file",
        "resolve_exchange_keys",
        "resolve_secret",
    ),
    "store": ("EXCHANGE_NAMES", "SECRET_FIELDS", "SecretStore", "UnknownSecretName"),
}
_HOME = {name: module for module, names in _NAMES.items() for name in names}
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


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
