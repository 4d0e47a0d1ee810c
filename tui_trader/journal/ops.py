"""Write operations built from domain objects: the SQL rows and the JSONL lines of one
record call, encoded (and redacted) at call time so later mutation of a payload cannot
change what is written."""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_trader.domain import (
    Balance,
    Fill,
    FundingFee,
    Order,
    OrderIntent,
    Position,
    SafetyEvent,
    VenueFee,
)
from tui_trader.journal import codec
from tui_trader.journal.jsonl import CATEGORIES
from tui_trader.journal.schema import FINAL_SQL
from tui_trader.journal.values import Row, dt_text, jsonable, redact_tree, to_json
from tui_trader.text_safety import printable_lines

SqlValue = str | int | float | None
Params = tuple[SqlValue, ...]
# Columns that carry free text (reasons, messages, meta values); JSON columns are
# cleaned leaf by leaf. Identifiers, enums, numbers and times are left alone.
FREE_TEXT = frozenset({"reason", "message", "value"})


@dataclass(frozen=True, slots=True)
class Step:
    sql: str
    rows: tuple[Params, ...]


@dataclass(eq=False, slots=True)
class WriteOp:
    """`solo` ops run alone, in queue order, and look at their first step's row count:
    zero rows changed means a duplicate (skipped; a waiter gets JournalError(duplicate))."""

    steps: tuple[Step, ...] = ()
    lines: tuple[tuple[str, str], ...] = ()
    waiter: asyncio.Future[int] | None = None
    solo: bool = False
    duplicate: str = ""


def _insert(table: str, columns: Sequence[str], verb: str = "INSERT") -> str:
    marks = ", ".join("?" for _ in columns)
    return f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})"


EVENT_COLS = ("ts", "category", "kind", "payload")
INTENT_COLS = (
    "client_order_id", "intent_id", "symbol", "side", "order_type", "quantity", "price",
    "purpose", "reference_price", "reason", "strategy", "reduce_only", "created_at", "meta",
)  # fmt: skip
ORDER_COLS = (
    "client_order_id", "intent_id", "symbol", "side", "order_type", "quantity", "price",
    "status", "purpose", "filled_quantity", "average_price", "exchange_order_id", "reason",
    "created_at", "updated_at", "account",
)  # fmt: skip
UPDATE_COLS = (
    "client_order_id", "status", "filled_quantity", "average_price", "exchange_order_id",
    "reason", "updated_at",
)  # fmt: skip
FILL_COLS = (
    "trade_id", "client_order_id", "symbol", "side", "quantity", "price", "fee",
    "fee_asset", "ts", "is_maker", "account",
)  # fmt: skip
FUNDING_COLS = ("ts", "asset", "amount", "symbol", "ref")
VENUE_FEE_COLS = (*FUNDING_COLS, "kind")
RISK_COLS = ("ts", "intent_id", "client_order_id", "approved", "reason", "checks")
SAFETY_COLS = ("ts", "severity", "kind", "symbol", "message", "data")
BALANCE_COLS = ("ts", "equity", "balances")
POSITION_COLS = ("ts", "positions")
RUN_COLS = ("started_at", "mode", "market", "feed", "pid")

# A late or duplicate update never rolls an order back: older updates and a non-final
# status after a final one leave the latest row as it is (the history keeps them all).
UPSERT_ORDER = (
    _insert("orders", ORDER_COLS)
    + " ON CONFLICT (client_order_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in UPDATE_COLS[1:])
    + " WHERE excluded.updated_at >= orders.updated_at"
    + f" AND (orders.status NOT IN {FINAL_SQL} OR excluded.status IN {FINAL_SQL})"
)
INSERT_EVENT = _insert("events", EVENT_COLS)
INSERT_INTENT = _insert("intents", INTENT_COLS, "INSERT OR IGNORE")
INSERT_UPDATE = _insert("order_updates", UPDATE_COLS)
UPDATE_IDX = tuple(ORDER_COLS.index(c) for c in UPDATE_COLS)
INSERT_FILL = _insert("fills", FILL_COLS, "INSERT OR IGNORE")
INSERT_FUNDING = _insert("funding_fees", FUNDING_COLS, "INSERT OR IGNORE")
INSERT_VENUE_FEE = _insert("venue_fees", VENUE_FEE_COLS, "INSERT OR IGNORE")
INSERT_RISK = _insert("risk_decisions", RISK_COLS)
INSERT_SAFETY = _insert("safety_events", SAFETY_COLS)
INSERT_BALANCES = _insert("balance_snapshots", BALANCE_COLS)
INSERT_POSITIONS = _insert("position_snapshots", POSITION_COLS)
INSERT_RUN = _insert("engine_runs", RUN_COLS)
END_RUN = "UPDATE engine_runs SET ended_at = ?, final_state = ? WHERE id = ?"
RUN_VENUE = "UPDATE engine_runs SET feed = ?, mode = ? WHERE id = ?"
UPSERT_META = _insert("meta", ("key", "value")) + (
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def _sql(value: Any) -> SqlValue:
    if value is None or type(value) is str:  # the common case, checked first for speed
        return value
    if isinstance(value, dict | list):
        return to_json(value)
    if isinstance(value, bool):
        return int(value)
    return value  # type: ignore[no-any-return]


def _redact_value(key: str, value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value) if key in FREE_TEXT else value
    return redact_tree(value, redact) if isinstance(value, dict | list) else value


def _printable_then(redact: Callable[[str], str] | None) -> Callable[[str], str]:
    """Free text from outside (exchange and LLM replies) is stored without escape
    sequences or control characters, and stripped before redaction: a secret split by
    control characters is whole again when the redactor looks for it."""
    if redact is None:
        return printable_lines
    return lambda text: redact(printable_lines(text))


class OpBuilder:
    def __init__(self, redact: Callable[[str], str] | None, jsonl: bool) -> None:
        self._text = _printable_then(redact)
        self._jsonl = jsonl

    def _clean(self, row: Row) -> Row:
        text = self._text
        return {k: _redact_value(k, v, text) for k, v in row.items()}

    def _op(
        self,
        sql: str,
        cols: Sequence[str],
        row: Row,
        line: tuple[str, str] | None,
        *,
        solo: bool = False,
        duplicate: str = "",
        waiter: asyncio.Future[int] | None = None,
    ) -> WriteOp:
        """`line` is (JSONL category, record type), or None for no JSONL line."""
        row = self._clean(row)
        params = tuple(_sql(row[c]) for c in cols)
        lines: tuple[tuple[str, str], ...] = ()
        if line is not None and self._jsonl:
            lines = ((line[0], to_json({"type": line[1], **row})),)
        return WriteOp((Step(sql, (params,)),), lines, waiter, solo, duplicate)

    def event(self, ts: datetime, category: str, kind: str, payload: Mapping[str, Any]) -> WriteOp:
        """Logged to the JSONL file its category names (signals as "decisions"), else general."""
        row = {"ts": dt_text(ts), "category": category, "kind": kind, "payload": jsonable(payload)}
        target = category if category in CATEGORIES else "general"
        return self._op(INSERT_EVENT, EVENT_COLS, row, (target, "event"))

    def intent(self, intent: OrderIntent, cid: str, waiter: asyncio.Future[int]) -> WriteOp:
        row = codec.intent_row(intent, cid)
        message = f"client order id {cid} is already journaled (intent {intent.intent_id})"
        return self._op(
            INSERT_INTENT,
            INTENT_COLS,
            row,
            ("decisions", "intent"),
            solo=True,
            duplicate=message,
            waiter=waiter,
        )

    def order(self, order: Order, account: str) -> WriteOp:
        row = codec.order_row(order) | {"account": account}
        op = self._op(UPSERT_ORDER, ORDER_COLS, row, ("orders", "order"))
        params = op.steps[0].rows[0]
        op.steps = (*op.steps, Step(INSERT_UPDATE, (tuple(params[i] for i in UPDATE_IDX),)))
        return op

    def fill(self, fill: Fill, account: str) -> WriteOp:
        row = codec.fill_row(fill) | {"account": account}
        return self._op(INSERT_FILL, FILL_COLS, row, ("fills", "fill"), solo=True)

    def funding(self, fee: FundingFee) -> WriteOp:
        row = codec.funding_row(fee)
        return self._op(INSERT_FUNDING, FUNDING_COLS, row, ("balances", "funding"), solo=True)

    def venue_fee(self, fee: VenueFee) -> WriteOp:
        row = codec.venue_fee_row(fee)
        line = ("balances", "venue_fee")
        return self._op(INSERT_VENUE_FEE, VENUE_FEE_COLS, row, line, solo=True)

    def risk(
        self,
        ts: datetime,
        intent_id: str,
        cid: str,
        approved: bool,
        reason: str,
        checks: Sequence[Mapping[str, Any]],
    ) -> WriteOp:
        row = {
            "ts": dt_text(ts),
            "intent_id": intent_id,
            "client_order_id": cid,
            "approved": approved,
            "reason": reason,
            "checks": jsonable(list(checks)),
        }
        return self._op(INSERT_RISK, RISK_COLS, row, ("decisions", "risk_decision"))

    def safety(self, event: SafetyEvent) -> WriteOp:
        return self._op(INSERT_SAFETY, SAFETY_COLS, codec.safety_row(event), ("safety", "safety"))

    def balances(self, ts: datetime, balances: Mapping[str, Balance], equity: Decimal) -> WriteOp:
        row = codec.balances_row(ts, balances, equity)
        return self._op(INSERT_BALANCES, BALANCE_COLS, row, ("balances", "balances"))

    def positions(self, ts: datetime, positions: Sequence[Position]) -> WriteOp:
        row = codec.positions_row(ts, positions)
        return self._op(INSERT_POSITIONS, POSITION_COLS, row, ("balances", "positions"))

    def start_run(
        self,
        started_at: datetime,
        mode: str,
        market: str,
        feed: str,
        pid: int,
        waiter: asyncio.Future[int],
    ) -> WriteOp:
        row: Row = {"started_at": dt_text(started_at), "mode": mode, "market": market}
        row |= {"feed": feed, "pid": pid}
        return self._op(
            INSERT_RUN, RUN_COLS, row, ("general", "run_started"), solo=True, waiter=waiter
        )

    def end_run(self, run_id: int, ended_at: datetime, final_state: str) -> WriteOp:
        row = {"ended_at": dt_text(ended_at), "final_state": final_state, "id": run_id}
        return self._op(END_RUN, ("ended_at", "final_state", "id"), row, ("general", "run_ended"))

    def run_venue(self, run_id: int, feed: str, mode: str) -> WriteOp:
        row = {"feed": feed, "mode": mode, "id": run_id}
        return self._op(RUN_VENUE, ("feed", "mode", "id"), row, ("general", "run_venue"))

    def meta(self, key: str, value: str) -> WriteOp:
        # Meta is current configuration state, not an event stream: no JSONL line.
        return self._op(UPSERT_META, ("key", "value"), {"key": key, "value": value}, None)
