"""What stands between paper and live trading: the live token file in the data dir, the
exchange keys in the OS keyring (never the environment), and the typed phrase. Also the
one place that opens the keyring for the trader."""

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from tui_trader.config import Settings
from tui_trader.snapshot import LiveCheck

if TYPE_CHECKING:
    from tui_trader.secrets import SecretStore

LIVE_PHRASE = "I_UNDERSTAND_LIVE_TRADING"
LIVE_TOKEN_FILE = "LIVE_TOKEN"


def exchange_key_name(settings: Settings) -> str:
    if settings.binance_env != "mainnet":
        return "binance-testnet"
    return "binance-futures" if settings.market_type.value == "futures" else "binance"


# An encrypted-file store, once unlocked, serves the whole process: asking for the
# passphrase again at every keyring read would be unusable.
_UNLOCKABLE: dict[Path, "SecretStore"] = {}


async def open_secret_store(settings: Settings) -> "SecretStore":
    """The configured keyring backend (chosen explicitly, never guessed), opened off the
    event loop: backend detection talks to D-Bus. Raises SecretsError."""
    from tui_trader.secrets import SecretStore

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


async def optional_secret_store(settings: Settings) -> "SecretStore | None":
    """The store, or None where no keyring is usable (fine for paper and testnet)."""
    from tui_trader.secrets import SecretsError

    try:
        return await open_secret_store(settings)
    except SecretsError:
        return None


async def keys_in_keyring(settings: Settings) -> tuple[bool, str]:
    """(present, detail), keyring calls in a thread."""
    from tui_trader.secrets import SecretsError

    name = exchange_key_name(settings)
    try:
        store = await open_secret_store(settings)
        key = await store.get_secret(name, "key")
        secret = await store.get_secret(name, "secret")
    except SecretsError as exc:
        return False, f"keyring unusable: {str(exc).splitlines()[0]}"
    if key and secret:
        return True, f"{name} key and secret found in the keyring"
    return False, f"no {name} keys in the keyring: run `tui-trader keys set {name}`"


def live_check(settings: Settings, keys: tuple[bool, str]) -> LiveCheck:
    token = settings.data_path / LIVE_TOKEN_FILE
    present = token.exists()
    problems = [] if present else [f"create {token} to allow live trading"]
    if not keys[0]:
        problems.append(keys[1])
    return LiveCheck(
        token_file_present=present,
        keys_in_keyring=keys[0],
        detail="; ".join(problems) if problems else keys[1],
    )
