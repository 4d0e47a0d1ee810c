"""Market data: feeds (simulated, replay, binance) and the per-symbol market state."""
