"""Upbit's private-stream frames: myAsset read into the balances it reports, and both
myAsset and myOrder refuse what Upbit never sends with ParseError (the stream counts and
skips those), never another exception (which would end the connection)."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.domain.portfolio import Balance
from tui_trader.upbit.my_asset import parse_my_asset
from tui_trader.upbit.my_order import parse_my_order
from tui_trader.upbit.parse_orders import ParseError

MS = 1_764_633_600_000  # 2025-12-02 00:00 UTC


def asset_frame(**changes: Any) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "myAsset", "asset_uuid": "e635f223-1609-4969-8fb6-4376937baad6",
        "assets": [{"currency": "KRW", "balance": 1386929.37231066, "locked": 10329.670127489},
                   {"currency": "BTC", "balance": 0.0015, "locked": 0}],
        "asset_timestamp": MS, "timestamp": MS + 2, "stream_type": "REALTIME",
    }  # fmt: skip
    frame.update(changes)
    return frame


def test_a_my_asset_frame_gives_each_changed_asset_free_and_locked() -> None:
    event = parse_my_asset(asset_frame())
    assert event.balances == {
        "KRW": Balance("KRW", Decimal("1386929.37231066"), Decimal("10329.670127489")),
        "BTC": Balance("BTC", Decimal("0.0015"), Decimal(0)),
    }
    assert event.at == datetime(2025, 12, 2, tzinfo=UTC)
    assert event.balances["KRW"].total == Decimal("1397259.042438149")


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"type": "myOrder"}, "type 'myOrder'"),
        ({"assets": []}, "no assets listed"),
        ({"assets": "KRW"}, "no assets listed"),
        ({"assets": [{"currency": "KRW", "balance": -1, "locked": 0}]}, "negative"),
        ({"assets": [{"currency": "KRW", "balance": "1e999999", "locked": 0}]}, "KRW balance"),
        ({"assets": [{"currency": "KRW", "balance": 1}]}, "locked"),
        ({"asset_timestamp": 1e300}, "out of range"),
        ({"asset_timestamp": "yesterday"}, "not epoch milliseconds"),
        ({"asset_timestamp": True}, "not epoch milliseconds"),
    ],
)
def test_an_unusable_my_asset_frame_is_a_parse_error(changes: dict[str, Any], said: str) -> None:
    with pytest.raises(ParseError, match="unreadable Upbit myAsset frame") as raised:
        parse_my_asset(asset_frame(**changes))
    assert said in str(raised.value)


def test_a_my_asset_frame_that_is_no_object_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_my_asset([1, 2])


def test_a_my_order_time_out_of_range_is_a_parse_error_not_an_overflow() -> None:
    """Before: OverflowError escaped the parser and ended the private stream's connection
    (a reconnect for every such frame) instead of being counted and skipped."""
    raw = {"type": "myOrder", "code": "KRW-BTC", "uuid": "u", "ask_bid": "BID",
           "order_type": "limit", "state": "wait", "executed_volume": 0,
           "timestamp": 1e300}  # fmt: skip
    with pytest.raises(ParseError, match="out of range"):
        parse_my_order(raw)
