"""Order, fill and account payloads → domain, with Binance's documented payloads."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_account import (
    parse_account_balances,
    parse_account_position,
    parse_account_update,
)
from tui_trader.binance.parse_orders import (
    parse_execution_report,
    parse_order_trade_update,
    parse_rest_order,
)
from tui_trader.domain.enums import IntentPurpose, OrderStatus, OrderType, Side
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance


def execution_report(**changes: Any) -> dict[str, Any]:
    event = {
        "e": "executionReport",
        "E": 1499405658658,
        "s": "ETHBTC",
        "c": "mUvoqJxFIILMdfAW5iGSOW",
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "1.00000000",
        "p": "0.10264410",
        "P": "0.00000000",
        "F": "0.00000000",
        "g": -1,
        "C": "",
        "x": "NEW",
        "X": "NEW",
        "r": "NONE",
        "i": 4293153,
        "l": "0.00000000",
        "z": "0.00000000",
        "L": "0.00000000",
        "n": "0",
        "N": None,
        "T": 1499405658657,
        "t": -1,
        "I": 8641984,
        "w": True,
        "m": False,
        "M": False,
        "O": 1499405658657,
        "Z": "0.00000000",
        "Y": "0.00000000",
        "Q": "0.00000000",
        "W": 1499405658657,
        "V": "NONE",
    }
    return event | changes


def test_execution_report_new_order() -> None:
    report = parse_execution_report(execution_report())
    assert (report.client_order_id, report.exchange_order_id, report.symbol) == (
        "mUvoqJxFIILMdfAW5iGSOW",
        "4293153",
        "ETHBTC",
    )
    assert (report.side, report.order_type, report.status) == (
        Side.BUY,
        OrderType.LIMIT,
        OrderStatus.NEW,
    )
    assert (report.quantity, report.price, report.filled_quantity) == (
        Decimal("1"),
        Decimal("0.1026441"),
        Decimal("0"),
    )
    assert report.ts == datetime(2017, 7, 7, 5, 34, 18, 657000, tzinfo=UTC)
    assert report.fills == () and report.reason == ""


def test_execution_report_trade_carries_the_fill_and_average_price() -> None:
    report = parse_execution_report(
        execution_report(
            x="TRADE",
            X="PARTIALLY_FILLED",
            l="0.4",
            L="0.1",
            n="0.0004",
            N="ETH",
            t=77,
            m=True,
            z="0.6",
            Z="0.0610",
        )
    )
    assert report.status is OrderStatus.PARTIALLY_FILLED
    assert report.average_price == Decimal("0.0610") / Decimal("0.6")
    assert report.fills == (
        Fill(
            "mUvoqJxFIILMdfAW5iGSOW",
            "ETHBTC",
            Side.BUY,
            Decimal("0.4"),
            Decimal("0.1"),
            Decimal("0.0004"),
            "ETH",
            report.ts,
            "77",
            is_maker=True,
        ),
    )


def test_cancel_report_is_keyed_by_the_original_client_id() -> None:
    report = parse_execution_report(
        execution_report(c="cancel-123", C="mine-1", x="CANCELED", X="CANCELED")
    )
    assert report.client_order_id == "mine-1" and report.status is OrderStatus.CANCELED


def test_expired_report_keeps_the_expiry_reason() -> None:
    report = parse_execution_report(execution_report(X="EXPIRED", x="EXPIRED", eR="STP"))
    assert report.status is OrderStatus.EXPIRED and report.reason == "STP"


def test_report_applied_to_our_order_keeps_intent_and_purpose() -> None:
    ts = datetime(2017, 7, 7, tzinfo=UTC)
    ours = Order(
        "mUvoqJxFIILMdfAW5iGSOW",
        "intent-9",
        "ETHBTC",
        Side.BUY,
        OrderType.LIMIT,
        Decimal(1),
        Decimal("0.1026441"),
        OrderStatus.NEW,
        ts,
        ts,
        purpose=IntentPurpose.TAKE_PROFIT,
    )
    updated = parse_execution_report(execution_report(X="FILLED", z="1", Z="0.1")).to_order(ours)
    assert (updated.intent_id, updated.purpose, updated.created_at) == (
        "intent-9",
        IntentPurpose.TAKE_PROFIT,
        ts,
    )
    assert (updated.status, updated.filled_quantity, updated.average_price) == (
        OrderStatus.FILLED,
        Decimal(1),
        Decimal("0.1"),
    )
    assert updated.exchange_order_id == "4293153"
    stranger = parse_execution_report(execution_report()).to_order(None)
    assert stranger.intent_id == "" and stranger.created_at == stranger.updated_at


def test_rest_full_reply() -> None:
    reply = {
        "symbol": "BTCUSDT",
        "orderId": 28,
        "orderListId": -1,
        "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
        "transactTime": 1507725176595,
        "price": "0.00000000",
        "origQty": "10.00000000",
        "executedQty": "10.00000000",
        "origQuoteOrderQty": "0.000000",
        "cummulativeQuoteQty": "40000.00000000",
        "status": "FILLED",
        "timeInForce": "GTC",
        "type": "MARKET",
        "side": "SELL",
        "workingTime": 1507725176595,
        "selfTradePreventionMode": "NONE",
        "fills": [
            {
                "price": "4000.00000000",
                "qty": "10.00000000",
                "commission": "4.00000000",
                "commissionAsset": "USDT",
                "tradeId": 56,
            }
        ],
    }
    report = parse_rest_order(reply)
    assert (report.status, report.price, report.average_price) == (
        OrderStatus.FILLED,
        None,
        Decimal(4000),
    )
    [fill] = report.fills
    assert (fill.quantity, fill.price, fill.fee, fill.fee_asset, fill.trade_id) == (
        Decimal(10),
        Decimal(4000),
        Decimal(4),
        "USDT",
        "56",
    )


def test_rest_cancel_reply_is_keyed_by_orig_client_order_id() -> None:
    reply = {
        "symbol": "BTCUSDT",
        "origClientOrderId": "mine-2",
        "orderId": 4,
        "orderListId": -1,
        "clientOrderId": "cancelMyOrder1",
        "transactTime": 1684804350068,
        "price": "2.00000000",
        "origQty": "1.00000000",
        "executedQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
    }
    report = parse_rest_order(reply)
    assert report.client_order_id == "mine-2" and report.status is OrderStatus.CANCELED


def test_futures_order_trade_update() -> None:
    event: dict[str, Any] = {
        "e": "ORDER_TRADE_UPDATE",
        "T": 1779367929401,
        "E": 1779367929402,
        "o": {
            "s": "SOLUSDT",
            "c": "bot-e05",
            "S": "BUY",
            "o": "LIMIT",
            "f": "GTC",
            "q": "21.26",
            "p": "85.67",
            "ap": "0",
            "sp": "0",
            "x": "NEW",
            "X": "NEW",
            "i": 215456450616,
            "l": "0",
            "z": "0",
            "L": "0",
            "n": "0",
            "N": "USDT",
            "T": 1779367929401,
            "t": 0,
            "b": "2520.672",
            "a": "0",
            "m": False,
            "R": True,
            "wt": "CONTRACT_PRICE",
            "ot": "LIMIT",
            "ps": "SHORT",
            "cp": False,
            "rp": "0",
            "pP": False,
            "si": 0,
            "ss": 0,
            "V": "EXPIRE_MAKER",
            "pm": "NONE",
            "gtd": 0,
            "er": "0",
        },
    }
    report = parse_order_trade_update(event)
    assert (report.client_order_id, report.exchange_order_id, report.quantity, report.price) == (
        "bot-e05",
        "215456450616",
        Decimal("21.26"),
        Decimal("85.67"),
    )
    traded = parse_order_trade_update(
        event
        | {
            "o": event["o"]
            | {
                "x": "TRADE",
                "X": "FILLED",
                "l": "21.26",
                "L": "85.6",
                "z": "21.26",
                "ap": "85.6",
                "n": "0.91",
                "t": 9,
            }
        }
    )
    assert traded.average_price == Decimal("85.6")
    assert [(f.quantity, f.fee, f.trade_id) for f in traded.fills] == [
        (Decimal("21.26"), Decimal("0.91"), "9")
    ]


def test_account_payloads() -> None:
    position_event = {
        "e": "outboundAccountPosition",
        "E": 1564034571105,
        "u": 1564034571073,
        "B": [{"a": "ETH", "f": "10000.000000", "l": "0.000000"}],
    }
    assert parse_account_position(position_event) == {"ETH": Balance("ETH", Decimal(10000))}
    account = {
        "balances": [
            {"asset": "BTC", "free": "0.5", "locked": "0.1"},
            {"asset": "LTC", "free": "0.00000000", "locked": "0.00000000"},
        ]
    }
    assert parse_account_balances(account) == {
        "BTC": Balance("BTC", Decimal("0.5"), Decimal("0.1"))
    }
    update = {
        "e": "ACCOUNT_UPDATE",
        "E": 1564745798939,
        "T": 1564745798938,
        "a": {
            "m": "ORDER",
            "B": [
                {"a": "USDT", "wb": "122624.12345678", "cw": "100.12345678", "bc": "50.12345678"}
            ],
            "P": [
                {
                    "s": "BTCUSDT",
                    "pa": "0",
                    "ep": "0.00000",
                    "bep": "0",
                    "cr": "200",
                    "up": "0",
                    "mt": "isolated",
                    "iw": "0.00000000",
                    "ps": "BOTH",
                },
                {"s": "ETHUSDT", "pa": "-2", "ep": "3000", "up": "-20", "ps": "BOTH"},
            ],
        },
    }
    balances, positions = parse_account_update(update)
    assert balances == {"USDT": Balance("USDT", Decimal("122624.12345678"))}
    assert positions[0].quantity == 0 and positions[0].mark_price == 0
    assert (positions[1].quantity, positions[1].mark_price) == (Decimal(-2), Decimal(3010))
    assert positions[1].unrealized_pnl == Decimal(-20)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (execution_report(o="STOP_LOSS_LIMIT"), "unsupported order type 'STOP_LOSS_LIMIT'"),
        (execution_report(X="PENDING_CANCEL"), "unsupported order status"),
        (execution_report(S="HOLD"), "executionReport"),
        (execution_report(q=1.0), "executionReport"),
        ({"e": "executionReport", "s": "BTCUSDT"}, "executionReport"),
    ],
)
def test_malformed_order_events_raise_parse_error(event: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_execution_report(event)


def test_other_malformed_payloads_raise_parse_error() -> None:
    with pytest.raises(ParseError, match="order reply"):
        parse_rest_order({"symbol": "BTCUSDT"})
    with pytest.raises(ParseError, match="ORDER_TRADE_UPDATE"):
        parse_order_trade_update({"e": "ORDER_TRADE_UPDATE", "o": {}})
    with pytest.raises(ParseError, match="account reply"):
        parse_account_balances({"balances": [{"asset": "BTC", "free": None, "locked": "0"}]})
    with pytest.raises(ParseError, match="ACCOUNT_UPDATE"):
        parse_account_update({"a": {"B": [], "P": [{"s": "X", "pa": "1"}]}})
