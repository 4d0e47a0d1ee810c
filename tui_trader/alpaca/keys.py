"""Alpaca's key pair, found as paper mode finds keys: the environment
(ALPACA_API_KEY_ID, ALPACA_API_SECRET_KEY), then the keyring's `alpaca` entry. Alpaca's
market data needs keys even to paper-trade on it."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_trader.secrets.backend import SecretsError
from tui_trader.secrets.env import ENV_VARS, resolve_exchange_keys
from tui_trader.secrets.redact import default_redactor

if TYPE_CHECKING:  # the store imports keyring
    from tui_trader.secrets.store import SecretStore


@dataclass(frozen=True, slots=True)
class AlpacaKeys:
    key_id: str
    secret: str = field(repr=False)  # never printed, even in a debugger


async def alpaca_keys(env: Mapping[str, str], store: "SecretStore | None") -> AlpacaKeys:
    """The key pair, as paper mode finds keys: the environment, then the keyring under
    `alpaca`; ValueError naming both ways when neither holds the whole pair."""
    key_var, secret_var = ENV_VARS[("alpaca", "key")][0], ENV_VARS[("alpaca", "secret")][0]
    ways = f"run `tui-trader keys set alpaca`, or set {key_var} and {secret_var}"
    try:
        found = await resolve_exchange_keys("paper", env, store, name="alpaca")
    except SecretsError as exc:  # half a pair, a locked keyring
        raise ValueError(f"{exc}; {ways}") from None
    if found is None:
        raise ValueError(f"Alpaca's market data needs a key: {ways}")
    default_redactor().add(found.api_key)
    default_redactor().add(found.api_secret)
    return AlpacaKeys(found.api_key, found.api_secret)
