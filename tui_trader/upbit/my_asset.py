"""Upbit's private `myAsset` stream frames read into the balances they report
(docs.upbit.com, "내 자산 (MyAsset)").

Upbit sends a frame whenever a holding changes (a trade, an order locking funds, a
deposit or withdrawal), listing only the assets that changed, each with what is free
(`balance`) and what orders hold (`locked`). Numbers come as JSON numbers, times as
epoch milliseconds. Unusable input raises ParseError, like every other reply."""

from dataclasses import dataclass
from datetime import datetime
from decimal import InvalidOperation
from typing import Any

from tui_trader.domain.portfolio import Balance
from tui_trader.numbers import required_amount
from tui_trader.upbit.my_order import epoch_ms
from tui_trader.upbit.parse_orders import ParseError


@dataclass(frozen=True, slots=True)
class MyAssetEvent:
    balances: dict[str, Balance]  # the assets that changed, as Upbit holds them now
    at: datetime


def parse_my_asset(raw: Any) -> MyAssetEvent:
    try:
        if raw.get("type") != "myAsset":
            raise ValueError(f"type {raw.get('type')!r}")
        rows = raw["assets"]
        if not isinstance(rows, list) or not rows:
            raise ValueError("no assets listed")
        balances = {}
        for row in rows:
            asset = str(row["currency"])
            balances[asset] = Balance(
                asset,
                required_amount(row["balance"], f"{asset} balance"),
                required_amount(row["locked"], f"{asset} locked"),
            )
        moment = epoch_ms(raw.get("asset_timestamp") or raw["timestamp"])
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise ParseError(f"unreadable Upbit myAsset frame ({exc!r}): {str(raw)[:160]}") from None
    return MyAssetEvent(balances, moment)
