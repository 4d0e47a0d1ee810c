"""Which keyring entry holds the keys for a Binance environment and market. Apart from
the adapters so that the live check (offered on every screen) loads no python-binance."""

from tui_trader.config import Settings


def exchange_key_name(settings: Settings) -> str:
    """The keyring entry that holds the keys for this environment and market."""
    if settings.binance_env != "mainnet":
        return "binance-testnet"
    return "binance-futures" if settings.market_type.value == "futures" else "binance"
