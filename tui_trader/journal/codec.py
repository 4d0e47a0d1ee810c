"""Row <-> domain conversion for every journaled type."""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_trader.domain import (
    Balance,
    Fill,
    FundingFee,
    IntentPurpose,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Position,
    SafetyEvent,
    Severity,
    Side,
    VenueFee,
)
from tui_trader.domain.events import SafetyKind
from tui_trader.journal.values import (
    Row,
    RowLike,
    dt_text,
    jsonable,
    opt_dec_text,
    opt_dt_text,
    opt_text_dec,
    opt_text_dt,
    text_dt,
)


def funding_row(fee: FundingFee) -> Row:
    return {
        "ts": dt_text(fee.ts),
        "asset": fee.asset,
        "amount": str(fee.amount),
        "symbol": fee.symbol,
        "ref": fee.ref,
    }


def row_funding(row: RowLike) -> FundingFee:
    amount = Decimal(row["amount"])
    return FundingFee(text_dt(row["ts"]), row["asset"], amount, row["symbol"], row["ref"])


def venue_fee_row(fee: VenueFee) -> Row:
    return funding_row(FundingFee(fee.ts, fee.asset, fee.amount, fee.symbol, fee.ref)) | {
        "kind": fee.kind
    }


def row_venue_fee(row: RowLike) -> VenueFee:
    amount = Decimal(row["amount"])
    return VenueFee(
        text_dt(row["ts"]), row["asset"], amount, row["symbol"], row["ref"], row["kind"]
    )


def intent_row(intent: OrderIntent, client_order_id: str) -> Row:
    return {
        "client_order_id": client_order_id,
        "intent_id": intent.intent_id,
        "symbol": intent.symbol,
        "side": intent.side.value,
        "order_type": intent.order_type.value,
        "quantity": str(intent.quantity),
        "price": opt_dec_text(intent.price),
        "purpose": intent.purpose.value,
        "reference_price": str(intent.reference_price),
        "reason": intent.reason,
        "strategy": intent.strategy,
        "reduce_only": intent.reduce_only,
        "created_at": dt_text(intent.created_at),
        "meta": jsonable(intent.meta),
    }


def row_intent(row: RowLike) -> tuple[OrderIntent, str]:
    intent = OrderIntent(
        intent_id=row["intent_id"],
        symbol=row["symbol"],
        side=Side(row["side"]),
        order_type=OrderType(row["order_type"]),
        quantity=Decimal(row["quantity"]),
        price=opt_text_dec(row["price"]),
        purpose=IntentPurpose(row["purpose"]),
        created_at=text_dt(row["created_at"]),
        reference_price=Decimal(row["reference_price"]),
        reason=row["reason"],
        strategy=row["strategy"],
        reduce_only=bool(row["reduce_only"]),
        meta=json.loads(row["meta"]),
    )
    return intent, row["client_order_id"]


def order_row(order: Order) -> Row:
    return {
        "client_order_id": order.client_order_id,
        "intent_id": order.intent_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "order_type": order.type_label,  # a foreign order's venue type (STOP_MARKET, ...)
        "quantity": str(order.quantity),
        "price": opt_dec_text(order.price),
        "status": order.status.value,
        "purpose": order.purpose.value,
        "filled_quantity": str(order.filled_quantity),
        "average_price": str(order.average_price),
        "exchange_order_id": order.exchange_order_id,
        "reason": order.reason,
        "created_at": dt_text(order.created_at),
        "updated_at": dt_text(order.updated_at),
    }


def _order_type(text: str, price: Decimal | None) -> tuple[OrderType, str]:
    """(domain type, venue type) of a journaled order type: ours, or a foreign order's
    venue type, whose nearest domain type follows from its limit price."""
    if text in OrderType.__members__:
        return OrderType(text), ""
    return (OrderType.LIMIT if price is not None else OrderType.MARKET), text


def row_order(row: RowLike) -> Order:
    price = opt_text_dec(row["price"])
    order_type, venue_type = _order_type(row["order_type"], price)
    return Order(
        client_order_id=row["client_order_id"],
        intent_id=row["intent_id"],
        symbol=row["symbol"],
        side=Side(row["side"]),
        order_type=order_type,
        quantity=Decimal(row["quantity"]),
        price=price,
        status=OrderStatus(row["status"]),
        created_at=text_dt(row["created_at"]),
        updated_at=text_dt(row["updated_at"]),
        purpose=IntentPurpose(row["purpose"]),
        filled_quantity=Decimal(row["filled_quantity"]),
        average_price=Decimal(row["average_price"]),
        exchange_order_id=row["exchange_order_id"],
        reason=row["reason"],
        venue_type=venue_type,
    )


def fill_row(fill: Fill) -> Row:
    return {
        "trade_id": fill.trade_id,
        "client_order_id": fill.client_order_id,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "quantity": str(fill.quantity),
        "price": str(fill.price),
        "fee": str(fill.fee),
        "fee_asset": fill.fee_asset,
        "ts": dt_text(fill.ts),
        "is_maker": fill.is_maker,
    }


def row_fill(row: RowLike) -> Fill:
    return Fill(
        client_order_id=row["client_order_id"],
        symbol=row["symbol"],
        side=Side(row["side"]),
        quantity=Decimal(row["quantity"]),
        price=Decimal(row["price"]),
        fee=Decimal(row["fee"]),
        fee_asset=row["fee_asset"],
        ts=text_dt(row["ts"]),
        trade_id=row["trade_id"],
        is_maker=bool(row["is_maker"]),
    )


def safety_row(event: SafetyEvent) -> Row:
    return {
        "ts": dt_text(event.ts),
        "severity": event.severity.value,
        "kind": event.kind,
        "symbol": event.symbol,
        "message": event.message,
        "data": jsonable(event.data),
    }


def row_safety(row: RowLike) -> SafetyEvent:
    return SafetyEvent(
        ts=text_dt(row["ts"]),
        severity=Severity(row["severity"]),
        kind=SafetyKind(row["kind"]),
        message=row["message"],
        symbol=row["symbol"],
        data=json.loads(row["data"]),
    )


def balances_row(ts: datetime, balances: Mapping[str, Balance], equity: Decimal) -> Row:
    assets = {a: {"free": str(b.free), "locked": str(b.locked)} for a, b in balances.items()}
    return {"ts": dt_text(ts), "equity": str(equity), "balances": assets}


def row_balances(row: RowLike) -> tuple[datetime, dict[str, Balance], Decimal]:
    assets: dict[str, dict[str, str]] = json.loads(row["balances"])
    balances = {
        asset: Balance(asset, Decimal(v["free"]), Decimal(v["locked"]))
        for asset, v in assets.items()
    }
    return text_dt(row["ts"]), balances, Decimal(row["equity"])


def positions_row(ts: datetime, positions: Sequence[Position]) -> Row:
    return {"ts": dt_text(ts), "positions": [_position_tree(p) for p in positions]}


def _position_tree(p: Position) -> dict[str, Any]:
    return {
        "symbol": p.symbol,
        "quantity": str(p.quantity),
        "average_entry": str(p.average_entry),
        "opened_at": opt_dt_text(p.opened_at),
        "realized_pnl": str(p.realized_pnl),
        "fees_paid": str(p.fees_paid),
        "mark_price": str(p.mark_price),
        "leverage": p.leverage,
        "liquidation_price": opt_dec_text(p.liquidation_price),
    }


def row_positions(row: RowLike) -> list[Position]:
    return [
        Position(
            symbol=t["symbol"],
            quantity=Decimal(t["quantity"]),
            average_entry=Decimal(t["average_entry"]),
            opened_at=opt_text_dt(t["opened_at"]),
            realized_pnl=Decimal(t["realized_pnl"]),
            fees_paid=Decimal(t["fees_paid"]),
            mark_price=Decimal(t["mark_price"]),
            leverage=int(t["leverage"]),
            liquidation_price=opt_text_dec(t["liquidation_price"]),
        )
        for t in json.loads(row["positions"])
    ]
