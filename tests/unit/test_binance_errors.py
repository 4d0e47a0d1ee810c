"""classify(): what a python-binance failure means for an order."""

import json
from types import SimpleNamespace

import aiohttp
import pytest
from binance.exceptions import BinanceAPIException, BinanceRequestException

from tui_trader.binance.errors import ErrorKind, classify


def api_error(status: int, code: int, msg: str, **headers: str) -> BinanceAPIException:
    response = SimpleNamespace(headers=headers, text="")
    return BinanceAPIException(response, status, json.dumps({"code": code, "msg": msg}))


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (
            api_error(400, -1021, "Timestamp for this request is outside of the recvWindow."),
            ErrorKind.CLOCK_SKEW,
        ),
        (
            api_error(400, -2010, "Account has insufficient balance for requested action."),
            ErrorKind.REJECTED,
        ),
        (api_error(400, -1013, "Filter failure: LOT_SIZE"), ErrorKind.REJECTED),
        (api_error(400, -2010, "Duplicate order sent."), ErrorKind.DUPLICATE),
        (api_error(400, -4116, "ClientOrderId is duplicated."), ErrorKind.DUPLICATE),
        (api_error(400, -2013, "Order does not exist."), ErrorKind.NOT_FOUND),
        (api_error(400, -2011, "Unknown order sent."), ErrorKind.NOT_FOUND),
        (api_error(400, -1022, "Signature for this request is not valid."), ErrorKind.AUTH),
        (api_error(401, -2015, "Invalid API-key, IP, or permissions for action."), ErrorKind.AUTH),
        (api_error(503, -1000, "Service unavailable"), ErrorKind.UNKNOWN_OUTCOME),
        (
            api_error(400, -1007, "Timeout waiting for response from backend server."),
            ErrorKind.UNKNOWN_OUTCOME,
        ),
        (TimeoutError(), ErrorKind.UNKNOWN_OUTCOME),
        (aiohttp.ServerDisconnectedError(), ErrorKind.UNKNOWN_OUTCOME),
        (BinanceRequestException("Invalid Response: <html>"), ErrorKind.UNKNOWN_OUTCOME),
        (ConnectionResetError(), ErrorKind.UNKNOWN_OUTCOME),
    ],
)
def test_classify(exc: BaseException, kind: ErrorKind) -> None:
    assert classify(exc).kind is kind


def test_rate_limits_carry_retry_after() -> None:
    limited = classify(
        api_error(429, -1003, "Too much request weight used", **{"Retry-After": "7"})
    )
    assert (limited.kind, limited.retry_after_s, limited.status) == (
        ErrorKind.RATE_LIMITED,
        7.0,
        429,
    )
    banned = classify(api_error(418, -1003, "IP banned until 1700000000000"))
    assert (banned.kind, banned.retry_after_s) == (ErrorKind.RATE_LIMITED, None)
    orders = classify(api_error(400, -1015, "Too many new orders"))
    assert orders.kind is ErrorKind.RATE_LIMITED
    assert orders.describe() == "-1015 Too many new orders"
