"""Account trade history (spot GET /api/v3/myTrades, USD-M GET /fapi/v1/userTrades) →
fills. Used to recover fills the user data stream did not deliver (a gap, a restart).

A trade row names the exchange order id but not the client order id, so the caller,
who asked for one order's trades, supplies it."""

from collections.abc import Mapping, Sequence
from typing import Any

from tui_trader.binance.parse import WIRE_ERRORS, ParseError, dec, ms_to_utc
from tui_trader.domain.enums import Side
from tui_trader.domain.orders import Fill
from tui_trader.numbers import quote


def _side(row: Mapping[str, Any]) -> Side:
    if "side" in row:  # USD-M
        return Side(row["side"])
    if not isinstance(row["isBuyer"], bool):  # spot
        raise TypeError(f"isBuyer must be a boolean, got {quote(row['isBuyer'])}")
    return Side.BUY if row["isBuyer"] else Side.SELL


def parse_trade(row: Mapping[str, Any], client_order_id: str) -> Fill:
    """One trade row of either market."""
    try:
        maker = row["isMaker"] if "isMaker" in row else row["maker"]
        return Fill(
            client_order_id,
            str(row["symbol"]),
            _side(row),
            dec(row["qty"]),
            dec(row["price"]),
            dec(row["commission"]),
            str(row["commissionAsset"]),
            ms_to_utc(row["time"]),
            str(row["id"]),
            maker is True,
        )
    except WIRE_ERRORS as exc:
        raise ParseError(f"trade row: {exc}") from None


def parse_order_trades(rows: Any, client_order_id: str, exchange_order_id: str) -> list[Fill]:
    """The fills of one order among `rows` (a reply for that order), in Binance's order
    (oldest first)."""
    if not isinstance(rows, Sequence):
        raise ParseError(f"trade list expected, got {type(rows).__name__}")
    return [
        parse_trade(row, client_order_id)
        for row in rows
        if isinstance(row, Mapping) and str(row.get("orderId")) == exchange_order_id
    ]
