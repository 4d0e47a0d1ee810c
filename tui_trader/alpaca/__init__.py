"""Alpaca (US equities): historical stock bars for backtests so far (issue 17)."""
