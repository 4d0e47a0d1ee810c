"""Trading strategies: incremental, O(1) per candle, registered by name."""
