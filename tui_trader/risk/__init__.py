"""Pre-trade risk checks, circuit breaker, anomaly monitor, protective exits."""
