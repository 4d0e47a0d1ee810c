"""USD-M algo (conditional) orders read as guards, from the shapes Binance documents for
the Algo Service's REST replies and the ALGO_UPDATE event."""

from decimal import Decimal
from typing import Any

import pytest

from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_algo import parse_algo_order, parse_algo_update
from tui_trader.domain.enums import Side
from tui_trader.domain.guards import GuardKind, GuardStatus


def rest(**changes: Any) -> dict[str, Any]:
    row = {
        "algoId": 2146760,
        "clientAlgoId": "tt-g-0123456789abcdef01234567",
        "algoType": "CONDITIONAL",
        "orderType": "STOP_MARKET",
        "symbol": "BTCUSDT",
        "side": "SELL",
        "positionSide": "BOTH",
        "timeInForce": "GTC",
        "quantity": "0.010",
        "algoStatus": "NEW",
        "triggerPrice": "49000.00",
        "price": "0.00",
        "icebergQuantity": None,
        "workingType": "MARK_PRICE",
        "closePosition": False,
        "reduceOnly": True,
        "createTime": 1750485492076,
        "updateTime": 1750485492076,
        "triggerTime": 0,
    }
    return row | changes


def event(**changes: Any) -> dict[str, Any]:
    order = {
        "caid": "tt-g-0123456789abcdef01234567",
        "aid": 2148719,
        "at": "CONDITIONAL",
        "o": "TAKE_PROFIT_MARKET",
        "s": "BTCUSDT",
        "S": "BUY",
        "ps": "BOTH",
        "f": "GTC",
        "q": "0.02",
        "X": "CANCELED",
        "ai": "",
        "ap": "0.00000",
        "aq": "0.00000",
        "tp": "48000",
        "p": "0",
        "wt": "MARK_PRICE",
        "cp": False,
        "R": True,
        "tt": 0,
        "rm": "",
    }
    return {"e": "ALGO_UPDATE", "T": 1750515742297, "E": 1750515742303, "o": order | changes}


def test_a_rest_stop_reads_as_an_open_guard() -> None:
    guard = parse_algo_order(rest())
    assert guard is not None
    assert (guard.kind, guard.side, guard.status) == (GuardKind.STOP, Side.SELL, GuardStatus.OPEN)
    assert (guard.quantity, guard.trigger) == (Decimal("0.01"), Decimal(49000))


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("TRIGGERING", GuardStatus.TRIGGERED),
        ("TRIGGERED", GuardStatus.TRIGGERED),
        ("FINISHED", GuardStatus.DONE),
        ("REJECTED", GuardStatus.REJECTED),
        ("EXPIRED", GuardStatus.EXPIRED),
    ],
)
def test_every_documented_status_maps(raw: str, status: GuardStatus) -> None:
    guard = parse_algo_order(rest(algoStatus=raw))
    assert guard is not None and guard.status is status
    assert guard.status.working is (status is GuardStatus.TRIGGERED)


def test_an_algo_update_carries_the_reason_and_a_close_position_order_has_no_quantity() -> None:
    guard = parse_algo_update(event(X="EXPIRED", rm="Reduce Only reject", q=""))
    assert guard is not None
    assert guard.kind is GuardKind.TAKE_PROFIT and guard.side is Side.BUY
    assert (guard.status, guard.reason, guard.quantity) == (
        GuardStatus.EXPIRED,
        "Reduce Only reject",
        Decimal(0),
    )


def test_other_conditional_types_are_not_guards() -> None:
    assert parse_algo_order(rest(orderType="TRAILING_STOP_MARKET")) is None
    assert parse_algo_update(event(o="STOP")) is None


@pytest.mark.parametrize(
    "reply",
    [
        rest(algoStatus="PAUSED"),
        rest(triggerPrice="not a number"),
        rest(side="SIDEWAYS"),
        {k: v for k, v in rest().items() if k != "clientAlgoId"},
        rest(triggerPrice=49000.0),  # a float: Binance sends every amount as a string
    ],
)
def test_a_malformed_rest_reply_is_a_parse_error(reply: dict[str, Any]) -> None:
    with pytest.raises(ParseError, match="algo order reply"):
        parse_algo_order(reply)


def test_a_malformed_event_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="ALGO_UPDATE"):
        parse_algo_update({"e": "ALGO_UPDATE", "o": {"caid": "x"}})
    with pytest.raises(ParseError, match="ALGO_UPDATE"):
        parse_algo_update({"e": "ALGO_UPDATE"})
