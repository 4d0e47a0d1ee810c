"""Guards on Alpaca (domain/guards.py): the stop, or the stop and the take-profit of an
open position held by Alpaca, so a crashed trader still leaves it protected.

A BRACKET guard is one OCO order (order_class `oco`): its parent is the take-profit
limit, its one leg the stop; a STOP guard is a plain stop order. Both GTC (they outlive
the day, and Alpaca triggers them in regular hours only) and in whole shares (Alpaca
holds no fractional stop): a fractional quantity is refused here, and the guard keeper
then says the position is unprotected. The parent carries the guard's client id; Alpaca
names the leg itself (its own client id), so legs are recognised by their Alpaca order
id, learnt from the placement reply and from the nested open-orders list. A fill of the
parent is booked as the guard's id + "-t", of the stop leg as + "-s" (the same leg ids
as Binance's spot OCO, so the core counts either as a stop-loss exit). The legs of an
entry sent as a bracket are a guard too (bracket_entry.py)."""

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_trader.alpaca.bracket_entry import (
    bracket_guard,
    bracket_guard_id,
    is_bracket_entry,
    leg_suffix,
    legs_working,
)
from tui_trader.alpaca.order_rules import RefusedLocally, check_price, text
from tui_trader.alpaca.parse_orders import AlpacaOrder
from tui_trader.domain.guards import GuardKind, GuardOrder, GuardStatus, is_guard_id
from tui_trader.execution.broker import GuardListener

log = logging.getLogger(__name__)
STOP_LEG, TAKE_LEG = "-s", "-t"
KINDS = frozenset({GuardKind.STOP, GuardKind.BRACKET})


def guard_body(guard: GuardOrder, ticker: str) -> dict[str, Any]:
    """`guard` as the body of POST /v2/orders; raises RefusedLocally."""
    if guard.quantity % 1 != 0 or guard.quantity <= 0:
        raise RefusedLocally(f"Alpaca holds stops for whole shares only, not {guard.quantity}")
    check_price(guard.trigger, "stop price")
    body: dict[str, Any] = {
        "symbol": ticker,
        "qty": text(guard.quantity),
        "side": guard.side.value.lower(),
        "time_in_force": "gtc",
        "client_order_id": guard.client_id,
    }
    if guard.kind is GuardKind.STOP:
        return body | {"type": "stop", "stop_price": text(guard.trigger)}
    if guard.kind is not GuardKind.BRACKET or guard.take_profit is None:
        raise RefusedLocally(f"Alpaca guards are a stop or a stop + take-profit, not {guard.kind}")
    check_price(guard.take_profit, "take-profit price")
    return body | {
        "type": "limit",
        "order_class": "oco",
        "take_profit": {"limit_price": text(guard.take_profit)},
        "stop_loss": {"stop_price": text(guard.trigger)},
    }


def guard_from(report: AlpacaOrder) -> GuardOrder:
    """A guard rebuilt from its parent order (legs nested)."""
    left = (report.quantity or Decimal(0)) - report.filled
    if report.order_class == "oco":
        stop = next(leg for leg in report.legs if leg.stop is not None)
        assert stop.stop is not None and report.price is not None
        return GuardOrder(report.client_order_id, report.symbol, GuardKind.BRACKET,
                          report.side, left, stop.stop, take_profit=report.price)  # fmt: skip
    if report.stop is None:
        raise ValueError(f"guard {report.client_order_id} has no stop price")
    return GuardOrder(report.client_order_id, report.symbol, GuardKind.STOP, report.side,
                      left, report.stop)  # fmt: skip


class GuardBook:
    """The guards Alpaca holds for us and the Alpaca ids of their orders."""

    def __init__(self) -> None:
        self._listeners: list[GuardListener] = []
        self.held: dict[str, GuardOrder] = {}  # working guards by client id
        self._parts: dict[str, str] = {}  # Alpaca order id -> the leg's fill client id
        self._finished: set[str] = set()  # guards said to be over: never working again

    def subscribe(self, listener: GuardListener) -> None:
        self._listeners.append(listener)

    def learn(self, report: AlpacaOrder) -> None:
        """Note the Alpaca ids of a guard's parent and legs (of a bracket entry: its legs
        only; the entry's own fills are the entry's)."""
        if is_bracket_entry(report):
            guard_id = bracket_guard_id(report.client_order_id)
            for leg in report.legs:
                self._parts[leg.exchange_order_id] = guard_id + leg_suffix(leg)
            return
        self._parts[report.exchange_order_id] = report.client_order_id + (
            TAKE_LEG if report.order_class == "oco" else ""
        )
        for leg in report.legs:
            self._parts[leg.exchange_order_id] = report.client_order_id + STOP_LEG

    def fill_id(self, report: AlpacaOrder) -> str | None:
        """The client id a fill of this order is booked under, if it is a guard's."""
        if report.exchange_order_id in self._parts:
            return self._parts[report.exchange_order_id]
        if is_guard_id(report.client_order_id):
            self.learn(report)
            return self._parts[report.exchange_order_id]
        return None

    def on_entry(self, report: AlpacaOrder) -> None:
        """A bracket entry that filled: its legs now protect the position, as a guard
        (said once; never again once it has finished, whatever a late report shows)."""
        if not is_bracket_entry(report):
            return
        self.learn(report)
        guard_id = bracket_guard_id(report.client_order_id)
        done = guard_id in self._finished or guard_id in self.held
        if done or report.state != "filled" or not legs_working(report):
            return
        try:
            self.emit(bracket_guard(report))
        except (StopIteration, ValueError):
            log.warning("bracket %s: its legs do not read as exits", report.client_order_id)

    def adopt(self, guards: Sequence[GuardOrder]) -> None:
        self.held = {g.client_id: g for g in guards}

    def on_report(self, report: AlpacaOrder, fill_id: str) -> None:
        """A parent's or a leg's new state: its guard's."""
        guard = self.held.get(fill_id.removesuffix(STOP_LEG).removesuffix(TAKE_LEG))
        if guard is None:
            return  # finished already, or not one we hold
        status = {"filled": GuardStatus.DONE, "canceled": GuardStatus.CANCELED,
                  "expired": GuardStatus.EXPIRED, "rejected": GuardStatus.REJECTED,
                  "partially_filled": GuardStatus.TRIGGERED}.get(report.state)  # fmt: skip
        if status is None or (status is GuardStatus.TRIGGERED and guard.status is status):
            return
        if status is GuardStatus.CANCELED and guard.kind is GuardKind.BRACKET:
            return  # OCO: a part is cancelled when the other fills (DONE) or by cancel_guard
        self.emit(replace(guard, status=status, reason=report.state))

    def emit(self, guard: GuardOrder) -> GuardOrder:
        if guard.status.working:
            self.held[guard.client_id] = guard
        else:
            self.held.pop(guard.client_id, None)
            self._finished.add(guard.client_id)
        for listener in self._listeners:
            try:
                listener(guard)
            except Exception:  # one broken listener must not starve the others
                log.exception("guard listener failed on %r", guard)
        return guard

    def fired(self, reports: Sequence[AlpacaOrder], since: datetime) -> list[AlpacaOrder]:
        """The parts (parents and legs; a bracket entry's legs only) of our guards among
        `reports` that traded after `since`."""
        parts: list[AlpacaOrder] = []
        for report in reports:
            entry = is_bracket_entry(report)
            if not (entry or is_guard_id(report.client_order_id)):
                continue
            family = [] if entry else [report]
            family += report.legs
            if max(part.updated_at for part in (report, *report.legs)) < since:
                continue
            self.learn(report)
            parts += [part for part in family if part.filled > 0]
        return parts
