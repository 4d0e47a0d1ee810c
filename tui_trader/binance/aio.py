"""Small asyncio helpers shared by the feed, the user data stream and the brokers."""

import asyncio
import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delay before reconnect attempt `attempt` (0-based): initial·2^attempt capped at
    `max_s`, then scaled by a random factor in [0.5, 1] so that many clients dropped
    together do not come back in lockstep."""

    initial_s: float = 0.5
    max_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        base = min(self.max_s, self.initial_s * 2.0 ** min(attempt, 32))
        return base * (0.5 + self.rng.random() / 2)


async def cancel_and_wait(
    task: asyncio.Task[object] | asyncio.Task[None] | asyncio.Task[str], poll_s: float = 0.05
) -> None:
    """Cancel `task` and wait until it has ended. Python 3.11's wait_for swallows a
    cancellation that lands just as its inner future completes, and python-binance's
    recv() is a wait_for in a loop, so one cancel() is not always enough: repeat it."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=poll_s)
