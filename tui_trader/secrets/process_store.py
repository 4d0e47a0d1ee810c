"""The one place that opens the keyring for this process: the configured backend,
chosen explicitly (never guessed), opened off the event loop, and an encrypted-file
store kept unlocked once the operator gave its passphrase."""

import asyncio
from pathlib import Path

from tui_trader.config import Settings
from tui_trader.secrets.backend import SecretsError
from tui_trader.secrets.store import SecretStore

# An encrypted-file store, once unlocked, serves the whole process: asking for the
# passphrase again at every keyring read would be unusable.
_UNLOCKABLE: dict[Path, SecretStore] = {}


async def open_secret_store(settings: Settings) -> SecretStore:
    """The configured keyring backend (chosen explicitly, never guessed), opened off the
    event loop: backend detection talks to D-Bus. Raises SecretsError."""
    path = settings.data_path / "secrets.cfg"
    if settings.secrets_backend == "cryptfile" and path in _UNLOCKABLE:
        return _UNLOCKABLE[path]
    store = await asyncio.to_thread(SecretStore.open, settings.secrets_backend, cryptfile_path=path)
    if settings.secrets_backend == "cryptfile":
        _UNLOCKABLE[path] = store
    return store


async def passphrase_needed(settings: Settings) -> bool:
    """True when the encrypted-file keyring is configured and still locked."""
    if settings.secrets_backend != "cryptfile":
        return False
    store = await optional_secret_store(settings)
    return store is not None and store.needs_unlock


async def unlock_secrets(settings: Settings, passphrase: str) -> None:
    """Unlock the encrypted-file keyring; raises KeyringLocked on a wrong passphrase."""
    store = await open_secret_store(settings)
    await store.unlock(passphrase)


async def optional_secret_store(settings: Settings) -> SecretStore | None:
    """The store, or None where no keyring is usable (fine for paper and testnet)."""
    try:
        return await open_secret_store(settings)
    except SecretsError:
        return None
