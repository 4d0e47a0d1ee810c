"""USD-M account payloads: wallet balances, positionRisk with liquidation prices,
ACCOUNT_UPDATE (orders, and funding settled: flagged, not booked), and the key
permission rules."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tui_trader.binance.futures_account import AccountUpdate, FuturesAccount
from tui_trader.binance.key_check import (
    KeyPermissionError,
    KeyPermissions,
    from_account,
    from_restrictions,
    refusal,
)
from tui_trader.binance.parse import ParseError
from tui_trader.binance.parse_account import PositionModeError
from tui_trader.binance.parse_futures import parse_futures_balances, parse_position_risk
from tui_trader.domain.enums import MarketKind
from tui_trader.domain.portfolio import Balance

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)


def risk_row(qty: str, liquidation: str = "40200", side: str = "BOTH") -> dict[str, Any]:
    return {
        "symbol": "BTCUSDT",
        "positionSide": side,
        "positionAmt": qty,
        "entryPrice": "50000.0",
        "markPrice": "50500.0",
        "unRealizedProfit": "5.0",
        "liquidationPrice": liquidation,
    }


def update(
    reason: str, qty: str, change: str = "0", wallet: str = "1000", t_ms: int = 1
) -> dict[str, Any]:
    positions = [] if qty == "" else [
        {"s": "BTCUSDT", "pa": qty, "ep": "50000", "bep": "50000", "cr": "0", "up": "10",
         "mt": "isolated", "iw": "0", "ps": "BOTH"}
    ]  # fmt: skip
    balances = [{"a": "USDT", "wb": wallet, "cw": wallet, "bc": change}]
    return {
        "e": "ACCOUNT_UPDATE",
        "E": t_ms,
        "T": t_ms,
        "a": {"m": reason, "B": balances, "P": positions},
    }


def test_balances_and_positions_from_rest() -> None:
    account = {
        "assets": [
            {"asset": "USDT", "walletBalance": "1000.5", "availableBalance": "800"},
            {"asset": "BNB", "walletBalance": "0", "availableBalance": "0"},
        ]
    }
    assert parse_futures_balances(account) == {
        "USDT": Balance("USDT", Decimal(800), Decimal("200.5"))
    }
    positions = parse_position_risk([risk_row("0.01"), risk_row("0")], {"BTCUSDT": 5})
    btc = positions["BTCUSDT"]
    assert (btc.quantity, btc.mark_price, btc.leverage, btc.liquidation_price) == (
        Decimal("0.01"),
        Decimal(50500),
        5,
        Decimal(40200),
    )
    assert parse_position_risk([risk_row("1", "0")], {})["BTCUSDT"].liquidation_price is None
    with pytest.raises(ParseError, match="positionRisk"):
        parse_position_risk([risk_row("x")], {})


def test_account_update_keeps_liquidation_price_only_while_size_is_unchanged() -> None:
    account = FuturesAccount({"BTCUSDT": 5}, 1)
    account.positions = parse_position_risk([risk_row("0.01")], {"BTCUSDT": 5})
    same = account.apply(update("ORDER", "0.01"))
    assert not same.stale and account.positions["BTCUSDT"].liquidation_price == 40200
    assert account.positions["BTCUSDT"].mark_price == Decimal(51000)  # entry + up / qty
    grown = account.apply(update("ORDER", "0.02"))
    assert grown.stale and account.positions["BTCUSDT"].liquidation_price is None
    assert account.positions["BTCUSDT"].leverage == 5
    closed = account.apply(update("ORDER", "0"))
    assert not closed.stale and account.positions == {}


def test_funding_event_is_flagged_not_booked_and_bad_updates_change_nothing() -> None:
    account = FuturesAccount({}, 3)
    paid = account.apply(update("FUNDING_FEE", "", "-0.05", "999.95", t_ms=T0_MS))
    order = account.apply(update("ORDER", "", change="1", wallet="1000.95"))
    assert (paid.reason, paid.funding_event, paid.stale) == ("FUNDING_FEE", True, False)
    assert (order.reason, order.funding_event) == ("ORDER", False)
    assert account.balances == {"USDT": Balance("USDT", Decimal("1000.95"))}
    view = account.view(T0, "FUNDING_FEE", ())
    assert view == AccountUpdate(T0, "FUNDING_FEE", account.balances, {}, ())
    for bad in (
        {"e": "ACCOUNT_UPDATE", "a": {"m": "ORDER"}},  # no balances or positions
        update("", "", wallet="5"),  # no reason
        update("ORDER", "", wallet="lots"),
    ):
        with pytest.raises(ParseError):
            account.apply(bad)
    assert account.balances == {"USDT": Balance("USDT", Decimal("1000.95"))}


def hedge_update(long: str, short: str) -> dict[str, Any]:
    """ACCOUNT_UPDATE of a hedge-mode account: one entry per side."""
    event = update("ORDER", "")
    event["a"]["P"] = [
        {"s": "BTCUSDT", "pa": qty, "ep": "50000", "up": "0", "mt": "cross", "ps": side}
        for side, qty in (("LONG", long), ("SHORT", short))
    ]
    return event


def test_hedge_mode_position_rows_are_refused_never_merged() -> None:
    """positionRisk of a hedge-mode account has a LONG and a SHORT row per symbol: taking
    the last row would make a long 0.01 / short 0.02 look like a plain short 0.02."""
    rows = [risk_row("0.01", side="LONG"), risk_row("-0.02", side="SHORT")]
    with pytest.raises(PositionModeError, match=r"hedge-mode position \(positionSide 'LONG'\)"):
        parse_position_risk(rows, {})
    with pytest.raises(PositionModeError, match="more than one position row"):
        parse_position_risk([risk_row("0.01"), risk_row("0.02")], {})
    empty_sides = [risk_row("0", side="LONG"), risk_row("0.01"), risk_row("0", side="SHORT")]
    assert parse_position_risk(empty_sides, {})["BTCUSDT"].quantity == Decimal("0.01")


def test_hedge_mode_account_update_changes_nothing() -> None:
    account = FuturesAccount({"BTCUSDT": 5}, 1)
    account.positions = parse_position_risk([risk_row("0.01")], {"BTCUSDT": 5})
    before = dict(account.positions)
    with pytest.raises(PositionModeError, match="ACCOUNT_UPDATE: BTCUSDT has a hedge-mode"):
        account.apply(hedge_update("0.01", "0"))  # the empty SHORT must not close the long
    assert account.positions == before
    assert not account.apply(hedge_update("0", "0")).stale  # empty sides say nothing
    assert account.positions == before


def test_key_permission_rules() -> None:
    reply = {
        "enableWithdrawals": False,
        "enableSpotAndMarginTrading": True,
        "enableFutures": False,
        "ipRestrict": False,
    }
    spot = from_restrictions(reply, MarketKind.SPOT)
    assert spot == KeyPermissions(False, True, False, "apiRestrictions")
    assert refusal(spot, allow_withdraw=False) == ""
    futures = from_restrictions(reply, MarketKind.FUTURES)
    assert refusal(futures, allow_withdraw=True).startswith("this API key cannot trade")
    withdraws = from_account({"canWithdraw": True, "canTrade": True})
    assert "can WITHDRAW funds" in refusal(withdraws, allow_withdraw=False)
    assert refusal(withdraws, allow_withdraw=True) == ""
    with pytest.raises(KeyPermissionError, match="no usable 'canTrade'"):
        from_account({"canWithdraw": False})
