"""The secret store: named secrets in the OS keyring under one service name.

Every keyring call blocks (D-Bus round trips, ~0.8 s key derivation for the encrypted
file), so the async methods run them with `asyncio.to_thread`; the sync ones are for
the `keys` CLI and for code already running in a thread. Every value read or written is
handed to the redactor so it can never be logged unmasked afterwards."""

import asyncio
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

from tui_trader.secrets.backend import (
    SERVICE,
    BackendChoice,
    KeyringLocked,
    NoKeyringBackend,
    SecretsError,
    backend_name,
    needs_unlock,
    select_backend,
    unlock,
)
from tui_trader.secrets.redact import Redactor, default_redactor, mask

# Upbit: `key` is its access key, `secret` its secret key (one pair per account; no testnet).
# Alpaca: `key` is its API key id, `secret` its secret key (market data for downloads).
EXCHANGE_NAMES = ("binance", "binance-testnet", "binance-futures", "upbit", "alpaca")
SECRET_FIELDS: Mapping[str, tuple[str, ...]] = {
    **{name: ("key", "secret") for name in EXCHANGE_NAMES},
    "openai": ("key",),
    "telegram": ("token",),
    "slack": ("webhook",),
}


T = TypeVar("T")


class UnknownSecretName(ValueError):
    pass


class _Missing(Exception):
    """Internal: the keyring had nothing to delete under that username."""


def fields_of(name: str) -> tuple[str, ...]:
    fields = SECRET_FIELDS.get(name)
    if fields is None:
        known = ", ".join(SECRET_FIELDS)
        raise UnknownSecretName(f"unknown secret name {name!r}; known names: {known}")
    return fields


def username(name: str, field: str) -> str:
    """The keyring username for one field of a named secret, e.g. "binance:secret"."""
    fields = fields_of(name)
    if field not in fields:
        raise UnknownSecretName(f"{name} has fields {', '.join(fields)}, not {field!r}")
    return f"{name}:{field}"


class SecretStore:
    def __init__(self, backend: KeyringBackend, redactor: Redactor | None = None) -> None:
        self.backend = backend
        self.redactor = redactor or default_redactor()

    @classmethod
    def open(
        cls,
        choice: BackendChoice = "auto",
        env: Mapping[str, str] | None = None,
        cryptfile_path: Path | None = None,
        redactor: Redactor | None = None,
    ) -> "SecretStore":
        """Select the backend explicitly (see backend.py); raises NoKeyringBackend."""
        return cls(select_backend(choice, env, cryptfile_path), redactor)

    @property
    def backend_name(self) -> str:
        return backend_name(self.backend)

    @property
    def needs_unlock(self) -> bool:
        return needs_unlock(self.backend)

    # --- blocking API -----------------------------------------------------------------

    def unlock_sync(self, passphrase: str) -> None:
        # Registered before the attempt: a wrong passphrase may surface in an error too.
        self.redactor.add(passphrase)
        unlock(self.backend, passphrase)

    def get(self, name: str, field: str) -> str | None:
        user = username(name, field)
        value = self._call(lambda: self.backend.get_password(SERVICE, user))
        if value:
            self.redactor.add(value)
        return value or None

    def put(self, name: str, field: str, value: str) -> None:
        user = username(name, field)
        value = value.strip()
        if not value or "\n" in value:
            raise ValueError(f"{user}: the value must be one non-empty line")
        self.redactor.add(value)
        self._call(lambda: self.backend.set_password(SERVICE, user, value))

    def remove(self, name: str) -> list[str]:
        """Delete every field of `name`; returns the usernames that existed."""
        deleted = []
        for field in fields_of(name):
            user = username(name, field)
            try:
                self._call(functools.partial(self.backend.delete_password, SERVICE, user))
            except _Missing:
                continue
            deleted.append(user)
        return deleted

    def masked(self) -> dict[str, str]:
        """Stored secrets as {"name:field": "****abcd"}; absent ones are left out."""
        found = {}
        for name, fields in SECRET_FIELDS.items():
            for field in fields:
                value = self.get(name, field)
                if value:
                    found[username(name, field)] = mask(value)
        return found

    def probe(self) -> None:
        """One harmless read, to prove the backend answers (locked keyrings raise)."""
        self._call(lambda: self.backend.get_password(SERVICE, "probe"))

    # --- async API: the same calls, off the event loop --------------------------------

    async def unlock(self, passphrase: str) -> None:
        await asyncio.to_thread(self.unlock_sync, passphrase)

    async def get_secret(self, name: str, field: str) -> str | None:
        return await asyncio.to_thread(self.get, name, field)

    async def set_secret(self, name: str, field: str, value: str) -> None:
        await asyncio.to_thread(self.put, name, field, value)

    async def delete_secret(self, name: str) -> list[str]:
        return await asyncio.to_thread(self.remove, name)

    async def list_secrets(self) -> dict[str, str]:
        return await asyncio.to_thread(self.masked)

    # --- error mapping ----------------------------------------------------------------

    def _call(self, action: Callable[[], T]) -> T:
        if self.needs_unlock:
            # Without the passphrase the encrypted file would call getpass() right here.
            raise KeyringLocked("the encrypted keyring is locked: unlock it with its passphrase")
        try:
            return action()
        except PasswordDeleteError:
            raise _Missing from None
        except NoKeyringError as exc:
            raise NoKeyringBackend(str(exc)) from None
        except KeyringError as exc:
            raise SecretsError(f"{self.backend_name}: {exc}") from None
        except ValueError as exc:  # cryptfile: "MAC check failed" = wrong passphrase
            raise KeyringLocked(f"{self.backend_name}: cannot decrypt ({exc})") from None
