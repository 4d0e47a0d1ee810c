"""The order gate, the order book and the commands the execution engine
(runtime/execution_engine.py) consumes: the pure half of the only path to a broker."""
