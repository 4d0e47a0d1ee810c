"""The pure core: market events in, order commands and safety events out. No I/O,
no asyncio, no settings machinery, no wall-clock reads."""
