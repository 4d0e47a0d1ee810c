"""tui-trader: an automated crypto trader for Binance, operated from a terminal app."""

__version__ = "0.1.0"
