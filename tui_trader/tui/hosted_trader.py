"""What the app needs from a trader besides the command API: its lifecycle and the edge
tasks the app hosts as named workers."""

from collections.abc import Awaitable, Callable
from typing import Protocol

from tui_trader.snapshot import TraderCommands

EdgeTask = tuple[str, Callable[[], Awaitable[None]]]

# Stopped last on shutdown: the trader's graceful close still drains orders through it.
DRAINS_ON_CLOSE = "execution"


class HostableTrader(TraderCommands, Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def edge_tasks(self) -> list[EdgeTask]: ...

    def worker_failed(self, name: str, error: BaseException) -> None: ...
