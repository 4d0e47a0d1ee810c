"""Where keys may come from in each mode, and the `.env` check for live mode.

Paper and testnet accept keys from environment variables (handy on a throwaway server);
live mode takes them from the keyring only, so a key never sits in a shell history, a
process environment or a file next to the code."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tui_trader.secrets.backend import SecretsError
from tui_trader.secrets.redact import default_redactor, mask

if TYPE_CHECKING:  # the store imports keyring: only code that reads secrets pays for it
    from tui_trader.secrets.store import SecretStore

KeyMode = Literal["paper", "testnet", "live"]

# Specific names first, then the generic ones people already have in their shells.
ENV_VARS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("binance", "key"): ("BINANCE_API_KEY",),
    ("binance", "secret"): ("BINANCE_API_SECRET",),
    ("binance-testnet", "key"): ("BINANCE_TESTNET_API_KEY", "BINANCE_API_KEY"),
    ("binance-testnet", "secret"): ("BINANCE_TESTNET_API_SECRET", "BINANCE_API_SECRET"),
    ("binance-futures", "key"): ("BINANCE_FUTURES_API_KEY", "BINANCE_API_KEY"),
    ("binance-futures", "secret"): ("BINANCE_FUTURES_API_SECRET", "BINANCE_API_SECRET"),
    # Alpaca's market data needs keys even for history (`data download --venue alpaca`).
    ("alpaca", "key"): ("ALPACA_API_KEY_ID",),
    ("alpaca", "secret"): ("ALPACA_API_SECRET_KEY",),
    ("openai", "key"): ("OPENAI_API_KEY",),
    ("telegram", "token"): ("TELEGRAM_BOT_TOKEN",),
    ("slack", "webhook"): ("SLACK_WEBHOOK_URL",),
}
_SECRET_NAME = re.compile(
    r"^[A-Z0-9_]*(API_KEY|API_SECRET|SECRET|SECRET_KEY|TOKEN|PASSWORD|PASSPHRASE|WEBHOOK_URL)$"
)


def is_secret_name(name: str) -> bool:
    """A variable that holds (or looks like it holds) a secret: one of ENV_VARS, or a name
    ending in KEY, SECRET, TOKEN, PASSWORD, PASSPHRASE or WEBHOOK_URL."""
    upper = name.upper()
    return bool(_SECRET_NAME.match(upper)) or any(upper in v for v in ENV_VARS.values())


class ExchangeKeysError(SecretsError):
    """Keys are missing or incomplete for the chosen mode."""


class LiveKeysError(ExchangeKeysError):
    """Live mode cannot use the keys that were found (environment only, no keyring)."""


@dataclass(frozen=True, slots=True)
class ExchangeKeys:
    api_key: str
    api_secret: str
    source: Literal["keyring", "env"]

    def __repr__(self) -> str:  # never print the values, even in a debugger or a log
        return f"ExchangeKeys(api_key={mask(self.api_key)}, api_secret=****, {self.source})"

    __str__ = __repr__


def _from_env(name: str, field: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    for var in ENV_VARS.get((name, field), ()):
        value = env.get(var, "").strip()
        if value:
            default_redactor().add(value)
            return var, value
    return None


async def resolve_secret(
    name: str, field: str, mode: KeyMode, env: Mapping[str, str], store: "SecretStore | None"
) -> tuple[str, Literal["keyring", "env"]] | None:
    """A secret and where it came from. Paper/testnet: environment first, then keyring.
    Live: keyring only; raises LiveKeysError when only the environment has it."""
    found = _from_env(name, field, env)
    if found and mode != "live":
        return found[1], "env"
    if mode == "live" and store is None:
        raise LiveKeysError(
            f"live mode reads {name}:{field} from the OS keyring, but no keyring "
            "backend is usable; run `tui-trader keys check`"
        )
    stored = await store.get_secret(name, field) if store else None
    if stored:
        return stored, "keyring"
    if found:  # live, and the only copy is in the environment
        raise LiveKeysError(
            f"live mode refuses {found[0]} from the environment: store it with "
            f"`tui-trader keys set {name}`, then unset {found[0]} (and remove it from .env)"
        )
    return None


async def resolve_exchange_keys(
    mode: KeyMode,
    env: Mapping[str, str],
    store: "SecretStore | None",
    name: str | None = None,
) -> ExchangeKeys | None:
    """The API key pair for `mode` (name defaults to binance-testnet for testnet, else
    binance). Paper without keys gives None; testnet and live without keys raise."""
    name = name or ("binance-testnet" if mode == "testnet" else "binance")
    key = await resolve_secret(name, "key", mode, env, store)
    secret = await resolve_secret(name, "secret", mode, env, store)
    if key and secret:
        source: Literal["keyring", "env"] = "env" if "env" in (key[1], secret[1]) else "keyring"
        return ExchangeKeys(key[0], secret[0], source)
    if key or secret:
        missing = "secret" if key else "key"
        raise ExchangeKeysError(
            f"{name}: the API {missing} is missing (key and secret go together)"
        )
    if mode == "paper":
        return None
    hint = f"run `tui-trader keys set {name}`"
    if mode == "testnet":
        hint += f" or set {ENV_VARS[(name, 'key')][0]} and {ENV_VARS[(name, 'secret')][0]}"
        raise ExchangeKeysError(f"testnet needs {name} API keys: {hint}")
    raise LiveKeysError(f"live mode needs the {name} API key and secret in the keyring: {hint}")


def check_env_file(path: Path, mode: KeyMode) -> list[str]:
    """Problems with `path` for `mode`: in live mode every non-empty secret-like variable
    (BINANCE_API_SECRET, OPENAI_API_KEY, ...) is one. Missing file: no problems."""
    if mode != "live" or not path.is_file():
        return []
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parsed = _parse_line(line)
        if parsed is None:
            continue
        var, value = parsed
        if value and is_secret_name(var):
            problems.append(
                f"{path}:{number}: {var} holds a secret; live mode refuses keys in .env. "
                "Move it into the OS keyring (`tui-trader keys set NAME`) and delete the line."
            )
    return problems


def _parse_line(line: str) -> tuple[str, str] | None:
    line = line.strip()
    if not line or line.startswith("#") or "=" not in line:
        return None
    var, _, value = line.removeprefix("export ").partition("=")
    value = value.strip()
    if value[:1] in ("'", '"'):
        value = value[1:].split(value[0], 1)[0]
    else:
        value = value.split(" #", 1)[0].strip()
    return var.strip().upper(), value
