"""A lazily created aiohttp session with a hard timeout: a hanging service costs one
timeout per attempt, never a stuck task."""

import aiohttp

from tui_trader.notify.channel import DeliveryError

TRANSIENT_ERRORS = (aiohttp.ClientError, TimeoutError)


class HttpSession:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        """Create the session on first use, inside the running loop."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def transport_error(service: str, exc: BaseException) -> DeliveryError:
    """A network failure or timeout, described without the URL (it may hold a token)."""
    kind = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
    return DeliveryError(f"{service}: {kind}")


def retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
