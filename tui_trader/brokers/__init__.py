"""Brokers: paper (default), binance spot, binance futures."""
