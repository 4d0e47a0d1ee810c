"""USD-M account payloads → domain: wallet balances (GET /fapi/v2/account), positions
with their liquidation price (GET /fapi/v3/positionRisk), and why an ACCOUNT_UPDATE
happened (order, funding fee, ...)."""

from collections.abc import Mapping
from typing import Any

from tui_trader.binance.parse import WIRE_ERRORS, ParseError, dec
from tui_trader.binance.parse_account import ONE_WAY, PositionModeError, one_way_position
from tui_trader.domain.portfolio import Balance, Position
from tui_trader.numbers import quote


def parse_futures_balances(data: Mapping[str, Any]) -> dict[str, Balance]:
    """Wallet balance per asset; free is what is available for new margin."""
    try:
        balances = {}
        for asset in data["assets"]:
            wallet, available = dec(asset["walletBalance"]), dec(asset["availableBalance"])
            if wallet != 0:
                free = min(available, wallet)
                balances[str(asset["asset"])] = Balance(str(asset["asset"]), free, wallet - free)
        return balances
    except WIRE_ERRORS as exc:
        raise ParseError(f"futures account reply: {exc}") from None


def parse_position_risk(rows: Any, leverage: Mapping[str, int]) -> dict[str, Position]:
    """Open one-way positions by symbol. positionRisk v3 no longer says the leverage,
    so the leverage we set is filled in; a liquidation price of 0 means none. A
    hedge-mode row (LONG / SHORT) or two rows of one symbol raise PositionModeError."""
    try:
        positions: dict[str, Position] = {}
        for row in rows:
            qty = dec(row["positionAmt"])
            if qty == 0:
                continue
            symbol = str(row["symbol"])
            one_way_position(symbol, row.get("positionSide", ONE_WAY), positions)
            liquidation = dec(row["liquidationPrice"])
            positions[symbol] = Position(
                symbol,
                qty,
                dec(row["entryPrice"]),
                mark_price=dec(row["markPrice"]),
                leverage=leverage.get(symbol, 1),
                liquidation_price=liquidation if liquidation > 0 else None,
            )
        return positions
    except PositionModeError as exc:
        raise PositionModeError(f"positionRisk reply: {exc}") from None
    except WIRE_ERRORS as exc:
        raise ParseError(f"positionRisk reply: {exc}") from None


def parse_account_reason(event: Mapping[str, Any]) -> str:
    """Why an ACCOUNT_UPDATE happened: ORDER, FUNDING_FEE, DEPOSIT, WITHDRAW, ..."""
    try:
        reason = event["a"]["m"]
    except WIRE_ERRORS as exc:
        raise ParseError(f"ACCOUNT_UPDATE: {exc}") from None
    if reason.__class__ is not str or not reason:
        raise ParseError(f"ACCOUNT_UPDATE: no reason, got m={quote(reason)}")
    return str(reason)
