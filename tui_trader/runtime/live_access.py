"""What stands between paper and live trading: the live token file in the data dir, the
exchange keys in the OS keyring (never the environment), and the typed phrase."""

from tui_trader.binance.key_names import exchange_key_name
from tui_trader.config import Settings
from tui_trader.secrets.process_store import open_secret_store
from tui_trader.snapshot import LiveCheck

LIVE_PHRASE = "I_UNDERSTAND_LIVE_TRADING"
LIVE_TOKEN_FILE = "LIVE_TOKEN"


async def keys_in_keyring(settings: Settings) -> tuple[bool, str]:
    """(present, detail), keyring calls in a thread."""
    from tui_trader.secrets import SecretsError

    name = key_name(settings)
    try:
        store = await open_secret_store(settings)
        key = await store.get_secret(name, "key")
        secret = await store.get_secret(name, "secret")
    except SecretsError as exc:
        return False, f"keyring unusable: {str(exc).splitlines()[0]}"
    if key and secret:
        return True, f"{name} key and secret found in the keyring"
    return False, f"no {name} keys in the keyring: run `tui-trader keys set {name}`"


def key_name(settings: Settings) -> str:
    """The keyring entry that holds the live keys of the chosen venue."""
    return settings.venue if settings.venue in ("upbit", "alpaca") else exchange_key_name(settings)


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
