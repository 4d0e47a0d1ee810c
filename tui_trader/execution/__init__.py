"""The order gate and the execution engine: the only path to a broker."""
