"""What can go wrong talking to Alpaca, for every Alpaca module (the SDK's or ours)."""


class AlpacaError(Exception):
    """Alpaca refused or answered something unusable; the message is for people."""


class AlpacaKeysRefused(AlpacaError):
    """401/403: the keys are wrong (or not entitled to this data)."""


class AlpacaBusy(AlpacaError):
    """429 or 5xx: worth another try after a pause."""


KEYS_HINT = "check ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY, or the keyring's `alpaca` pair"
