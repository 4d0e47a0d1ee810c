"""How many decimal places an amount of an asset is shown with: its minor unit.

The won and the yen have no minor unit (10,000,000 KRW, never 10,000,000.00), dollars
and dollar stablecoins have cents, bitcoin has satoshis. Amounts are exact Decimals
everywhere; this only decides how they are written for people."""

MINOR_UNITS = {"KRW": 0, "JPY": 0, "BTC": 8, "ETH": 8}
DEFAULT_PLACES = 2  # USD, USDT, USDC, EUR and the rest


def minor_units(asset: str) -> int:
    return MINOR_UNITS.get(asset.upper(), DEFAULT_PLACES)


def quote_places(symbol: str) -> int:
    """The minor unit of the asset a symbol (BTCKRW, ETHUSDT) is quoted in."""
    for asset, places in MINOR_UNITS.items():
        if symbol.upper().endswith(asset) and len(symbol) > len(asset):
            return places
    return DEFAULT_PLACES
