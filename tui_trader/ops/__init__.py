"""Operations: settings, retry and circuit breaker for outbound clients, health and
metrics endpoint, `tui-trader doctor`, structured logs. Edges only: nothing here is
imported by the trading core."""
