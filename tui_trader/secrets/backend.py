"""Choosing the keyring backend explicitly, so `keyring` never guesses between installed
backends and never calls `getpass` in the middle of the TUI.

Order: PYTHON_KEYRING_BACKEND (the operator named a class) → the encrypted file when the
setting asks for it → the OS keyring (what `keyring.get_keyring()` found, or the best
member of its chainer) when it is a recommended store (priority ≥ 1). Anything else is
`NoKeyringBackend`, whose message says what to do on a headless server.

`keyring` (~50 ms to import) is imported where a backend is chosen or judged, so that
code which only needs this module's exceptions does not pay for it."""

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "tui-trader"
ENV_BACKEND = "PYTHON_KEYRING_BACKEND"
BackendChoice = Literal["auto", "cryptfile"]
_CRYPTFILE_CLASS = "keyrings.cryptfile.cryptfile.CryptFileKeyring"

HEADLESS_HELP = (
    "To store secrets on a headless server, choose one:\n"
    "  1. Secret Service: run `dbus-run-session -- sh`, then "
    "`echo 'PASSWORD' | gnome-keyring-daemon --unlock`, and start tui-trader in that shell\n"
    "     (needs the gnome-keyring package; an unlocked keyring is required, there is no "
    "password dialog over SSH);\n"
    "  2. an encrypted file: `pip install keyrings.cryptfile` and set "
    "SECRETS_BACKEND=cryptfile (the app asks for its passphrase);\n"
    "  3. paper/testnet only: set BINANCE_API_KEY / BINANCE_API_SECRET / OPENAI_API_KEY "
    "in the environment (live mode refuses keys from the environment)."
)


class SecretsError(Exception):
    """A secret could not be read, stored or deleted; the message is for the operator."""


class NoKeyringBackend(SecretsError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"No usable keyring backend: {reason}\n{HEADLESS_HELP}")
        self.reason = reason


class KeyringLocked(SecretsError):
    """The encrypted-file keyring needs `unlock(passphrase)` first, or the passphrase was
    wrong."""


def backend_name(backend: "KeyringBackend") -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def is_cryptfile(backend: "KeyringBackend") -> bool:
    return type(backend).__module__.startswith("keyrings.cryptfile")


def cryptfile_available() -> bool:
    """The encrypted-file backend is an optional extra: detect it, never require it."""
    try:
        importlib.import_module("keyrings.cryptfile.cryptfile")
    except ImportError:
        return False
    return True


def priority_of(backend: "KeyringBackend") -> float | None:
    """The backend's priority, or None when keyring says it cannot run here."""
    try:
        return float(type(backend).priority)
    except Exception:  # keyring signals "not viable" with arbitrary exceptions
        return None


def unusable_reason(backend: "KeyringBackend") -> str | None:
    """Why `backend` must not hold trading keys, or None when it may."""
    from keyring.backends import chainer, fail, null

    name = backend_name(backend)
    if isinstance(backend, fail.Keyring):
        return "keyring found no recommended backend (keyring.backends.fail.Keyring)"
    if isinstance(backend, null.Keyring):
        return "keyring is disabled (null backend): it would silently drop every secret"
    if isinstance(backend, chainer.ChainerBackend):
        return "the chainer backend could pick a backend that prompts; choose one explicitly"
    priority = priority_of(backend)
    if priority is None:
        return f"{name} cannot run in this environment"
    if priority < 1:
        return f"{name} has priority {priority:g} (< 1: not a secure store)"
    return None


def select_backend(
    choice: BackendChoice = "auto",
    env: Mapping[str, str] | None = None,
    cryptfile_path: Path | None = None,
) -> "KeyringBackend":
    """Return the backend to use, or raise NoKeyringBackend."""
    import keyring
    from keyring.backends import chainer

    env = os.environ if env is None else env
    named = env.get(ENV_BACKEND, "").strip()
    if named:
        return _load_named(named)
    if choice == "cryptfile":
        return _cryptfile(cryptfile_path)
    current = keyring.get_keyring()
    candidates = (
        list(current.backends) if isinstance(current, chainer.ChainerBackend) else [current]
    )
    for candidate in candidates:
        # The encrypted file is opt-in only: picked up silently it would prompt.
        if not is_cryptfile(candidate) and unusable_reason(candidate) is None:
            return candidate
    if isinstance(current, chainer.ChainerBackend):
        raise NoKeyringBackend(
            "no backend in keyring's chain is a recommended OS store "
            "(the encrypted file is used only with SECRETS_BACKEND=cryptfile)"
        )
    raise NoKeyringBackend(unusable_reason(current) or "no recommended backend is installed")


def _load_named(named: str) -> "KeyringBackend":
    from keyring.backends import fail, null
    from keyring.core import load_keyring

    try:
        backend = load_keyring(named)
    except Exception as exc:  # import errors, missing class, "not viable" RuntimeError
        raise NoKeyringBackend(f"{ENV_BACKEND}={named} cannot be loaded ({exc})") from None
    if isinstance(backend, fail.Keyring | null.Keyring):
        raise NoKeyringBackend(f"{ENV_BACKEND}={named}: {unusable_reason(backend)}")
    return backend


def _cryptfile(path: Path | None) -> "KeyringBackend":
    if not cryptfile_available():
        raise NoKeyringBackend(
            "SECRETS_BACKEND=cryptfile but keyrings.cryptfile is not installed "
            "(`pip install keyrings.cryptfile`)"
        )
    from keyring.core import load_keyring

    backend = load_keyring(_CRYPTFILE_CLASS)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        backend_any: Any = backend
        backend_any.file_path = str(path)
    return backend


def needs_unlock(backend: "KeyringBackend") -> bool:
    # CryptFileKeyring calls getpass() for its key unless `keyring_key` was set first.
    return is_cryptfile(backend) and getattr(backend, "_keyring_key", None) is None


def unlock(backend: "KeyringBackend", passphrase: str) -> None:
    """Give the encrypted-file backend its passphrase; its setter checks it against the
    file (or creates the file). Blocking (key derivation takes ~0.5-0.8 s): call it from
    a thread. No-op for other backends, which the OS unlocks."""
    if not is_cryptfile(backend):
        return
    if not passphrase.strip():
        raise KeyringLocked("the keyring passphrase must not be empty")
    backend_any: Any = backend
    try:
        backend_any.keyring_key = passphrase
    except ValueError:  # "MAC check failed" / "Incorrect Password"
        del backend_any.keyring_key  # never keep a wrong key around
        raise KeyringLocked("wrong keyring passphrase") from None
