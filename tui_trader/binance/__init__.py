"""Binance adapters built on python-binance: client factory, wire parsing, exchange
filters, the market feed and the brokers. Everything here is an async edge; the
parsing and filter modules are pure and synchronous."""
