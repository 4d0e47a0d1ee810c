"""Bottom-layer resilience helpers (retry with backoff, circuit breaker) that any
edge client may use; they import nothing above the domain."""
