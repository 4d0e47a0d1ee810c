"""The Alpaca calls behind the broker's GuardVenue methods (guards.py has the orders'
shape and the book of what Alpaca holds): placing a guard, cancelling it, reading the
working ones back after a restart, and finding those that traded while nobody listened."""

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from tui_trader.alpaca.bracket_entry import bracket_guard, entry_of, is_bracket_entry, legs_working
from tui_trader.alpaca.guards import KINDS, GuardBook, guard_body, guard_from
from tui_trader.alpaca.order_rules import AssetRules, RefusedLocally
from tui_trader.alpaca.parse_orders import AlpacaOrder, ParseError, parse_order
from tui_trader.alpaca.trading_api import AlpacaRefused, AlpacaTrading
from tui_trader.domain.guards import GuardKind, GuardOrder, GuardStatus, is_guard_id
from tui_trader.execution.broker import BrokerError

GTC_LIFETIME = timedelta(days=90)


class GuardCalls:
    def __init__(
        self, api: AlpacaTrading, assets: Mapping[str, AssetRules], book: GuardBook
    ) -> None:
        self._api, self._assets, self.book = api, assets, book

    def kinds(self, symbol: str) -> frozenset[GuardKind]:
        asset = self._assets.get(symbol)
        return KINDS if asset is not None and asset.tradable else frozenset()

    async def place(self, guard: GuardOrder) -> GuardOrder:
        """OPEN, or REJECTED with the reason (ours or Alpaca's); BrokerError: unknown.
        Alpaca holds a share for one sell order at a time, so a guard that replaces
        another (a moved stop) can only go once the other is cancelled: it is, first."""
        await self.clear(guard.symbol, keep=guard.client_id)
        asset = self._assets.get(guard.symbol)
        try:
            if asset is None:
                raise RefusedLocally(f"{guard.symbol} is not one of this broker's symbols")
            model = await self._api.place(guard_body(guard, asset.ticker))
        except (RefusedLocally, AlpacaRefused) as exc:
            return self.book.emit(replace(guard, status=GuardStatus.REJECTED, reason=str(exc)))
        self.book.learn(_parsed(model))
        return self.book.emit(replace(guard, status=GuardStatus.OPEN, reason=""))

    async def clear(self, symbol: str, keep: str = "") -> None:
        """Cancel our working guards on `symbol` (but `keep`): what they hold is needed."""
        for held in [g for g in self.book.held.values() if g.symbol == symbol]:
            if held.client_id != keep:
                await self.cancel(held)

    async def cancel(self, guard: GuardOrder) -> GuardOrder | None:
        """CANCELED, or None when Alpaca holds no such working guard (gone, or fired).
        A bracket entry's guard is its legs: each working one is cancelled."""
        entry = entry_of(guard.client_id)
        cancelled = False
        try:
            report = _parsed(await self._api.order_by_client_id(entry or guard.client_id))
            parts = report.legs if entry is not None else (report,)
            for part in parts:
                if not part.status.is_final:
                    cancelled = await self._cancel_one(part.exchange_order_id) or cancelled
        except AlpacaRefused as exc:
            if exc.status != 404:
                raise BrokerError(str(exc)) from None
        if not cancelled:
            self.book.held.pop(guard.client_id, None)
            return None
        return self.book.emit(replace(guard, status=GuardStatus.CANCELED, reason=""))

    async def _cancel_one(self, order_id: str) -> bool:
        try:
            await self._api.cancel(order_id)
        except AlpacaRefused as exc:
            if exc.status not in (404, 422):  # 422: no longer cancellable (it fired)
                raise BrokerError(str(exc)) from None
            return False
        return True

    async def open(self) -> list[GuardOrder]:
        """Our working guards on our symbols, rebuilt from the nested open orders."""
        guards = []
        for model in await self._api.open_orders():
            try:
                report = parse_order(model)
                if report.symbol not in self._assets:
                    continue
                if is_bracket_entry(report) and legs_working(report):
                    self.book.learn(report)
                    guards.append(bracket_guard(report))
                elif is_guard_id(report.client_order_id):
                    self.book.learn(report)
                    guards.append(guard_from(report))
            except (ParseError, StopIteration, ValueError, AssertionError) as exc:
                raise BrokerError(f"unreadable protective order on Alpaca: {exc}") from None
        self.book.adopt(guards)
        return guards

    async def fired_since(self, since: datetime) -> list[AlpacaOrder]:
        """Every part (parent and legs) of our guards that traded since `since`. Alpaca
        lists orders by submission time, and a guard that fired lately may have been
        placed long before: every order submitted within a GTC order's lifetime before
        `since` is read (Alpaca cancels a GTC order after 90 days)."""
        try:
            models = await self._api.orders_since(since - GTC_LIFETIME)
            reports = [parse_order(m) for m in models]
        except ParseError as exc:
            raise BrokerError(str(exc)) from None
        return self.book.fired(reports, since)


def _parsed(model: object) -> AlpacaOrder:
    try:
        return parse_order(model)
    except ParseError as exc:
        raise BrokerError(f"unreadable order reply from Alpaca: {exc}") from None
