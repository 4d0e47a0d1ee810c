"""Map python-binance failures to what the caller must do about them."""

from dataclasses import dataclass
from enum import StrEnum

import aiohttp
from binance.exceptions import (
    BinanceAPIException,
    BinanceRequestException,
    BinanceWebsocketUnableToConnect,
)

from tui_trader.execution.broker import BrokerError, NotSent


class ErrorKind(StrEnum):
    CLOCK_SKEW = "clock_skew"  # -1021: resync the offset, the request was not processed
    RATE_LIMITED = "rate_limited"  # 429/418: stop sending until Retry-After passes
    REJECTED = "rejected"  # a 4xx about the request itself: nothing was placed
    DUPLICATE = "duplicate"  # the client order id exists already: query it
    NOT_FOUND = "not_found"  # -2013 / -2011: the exchange has no such order
    AUTH = "auth"  # bad key, signature or permissions
    UNKNOWN_OUTCOME = "unknown_outcome"  # timeout, 5xx, lost connection: query first


# Codes Binance documents as "sent, execution status unknown" (-1007) or similar.
_UNKNOWN_CODES = frozenset({-1000, -1001, -1006, -1007, -1008})
_AUTH_CODES = frozenset({-1002, -1022, -2014, -2015})
_NOT_FOUND_CODES = frozenset({-2011, -2013})
_DUPLICATE_MESSAGES = ("Duplicate order sent", "ClientOrderId is duplicated")
DEFAULT_RETRY_AFTER_S = 60.0


@dataclass(frozen=True, slots=True)
class ApiError:
    kind: ErrorKind
    message: str
    code: int = 0
    status: int = 0
    retry_after_s: float | None = None

    def describe(self) -> str:
        return f"{self.code} {self.message}" if self.code else self.message


class RateLimited(NotSent):
    """Sending is paused: Binance asked us to back off (429, or 418 = IP ban), or our
    circuit breaker is open after repeated failures. Nothing is sent until
    `retry_after_s` has passed; an order refused this way was not placed."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _retry_after(exc: BinanceAPIException) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _classify_api(exc: BinanceAPIException) -> ApiError:
    code = int(exc.code or 0)
    status = int(exc.status_code or 0)
    message = str(exc.message or "")
    if status in (418, 429) or code in (-1003, -1015):
        wait = _retry_after(exc)
        return ApiError(ErrorKind.RATE_LIMITED, message, code, status, wait)
    if code == -1021:
        kind = ErrorKind.CLOCK_SKEW
    elif code in _NOT_FOUND_CODES:
        kind = ErrorKind.NOT_FOUND
    elif any(text in message for text in _DUPLICATE_MESSAGES) or code == -4116:
        kind = ErrorKind.DUPLICATE
    elif code in _AUTH_CODES or status in (401, 403):
        kind = ErrorKind.AUTH
    elif status >= 500 or code in _UNKNOWN_CODES:
        kind = ErrorKind.UNKNOWN_OUTCOME
    else:
        kind = ErrorKind.REJECTED
    return ApiError(kind, message, code, status)


def classify(exc: BaseException) -> ApiError:
    """What a failure means for an order. Anything we cannot place with certainty
    (timeouts, transport errors, odd replies) counts as UNKNOWN_OUTCOME."""
    if isinstance(exc, BinanceAPIException):
        return _classify_api(exc)
    if isinstance(exc, TimeoutError):
        return ApiError(ErrorKind.UNKNOWN_OUTCOME, "request timed out")
    if isinstance(exc, BinanceRequestException):
        return ApiError(ErrorKind.UNKNOWN_OUTCOME, f"invalid reply: {exc.message}")
    if isinstance(exc, aiohttp.ClientError | BinanceWebsocketUnableToConnect | OSError):
        return ApiError(ErrorKind.UNKNOWN_OUTCOME, f"{type(exc).__name__}: {exc}")
    return ApiError(ErrorKind.UNKNOWN_OUTCOME, f"unexpected {type(exc).__name__}: {exc}")


class ExchangeCallFailed(BrokerError):
    """A request to Binance failed; `error` says what that means for the order."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.describe())
        self.error = error
