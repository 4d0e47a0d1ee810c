"""Small asyncio helpers shared by the feed, the user data stream and the brokers
(their reconnect delays come from `resilience.retry.Backoff`)."""

import asyncio


async def cancel_and_wait(
    task: asyncio.Task[object] | asyncio.Task[None] | asyncio.Task[str], poll_s: float = 0.05
) -> None:
    """Cancel `task` and wait until it has ended. Python 3.11's wait_for swallows a
    cancellation that lands just as its inner future completes, and python-binance's
    recv() is a wait_for in a loop, so one cancel() is not always enough: repeat it."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=poll_s)
