"""BinanceFuturesBroker: USD-M orders (rules in broker_core.py) in one-way position mode,
leverage and margin type set at start, reduce-only exits, and the listenKey user data
stream: ORDER_TRADE_UPDATE → orders and fills (liquidation and ADL executions booked
like trades, with a CRITICAL safety event), ALGO_UPDATE → guards (futures_guards.py),
ACCOUNT_UPDATE → wallet balances and positions (liquidation price from positionRisk;
hedge-mode rows are refused, never merged). Funding settlements come from the income
history (futures_funding.py), read when ACCOUNT_UPDATE says funding was settled and after
every user data re-subscription (a settlement may have fallen in the gap)."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from tui_trader.binance.aio import cancel_and_wait
from tui_trader.binance.broker_core import Calls, PriceSource, SafetyListener
from tui_trader.binance.client import ClientSpec
from tui_trader.binance.errors import ExchangeCallFailed
from tui_trader.binance.filters import order_refusal
from tui_trader.binance.futures_account import AccountUpdate, FuturesAccount
from tui_trader.binance.futures_funding import FundingReader
from tui_trader.binance.futures_guards import FuturesGuards
from tui_trader.binance.futures_stream import FuturesUserStream
from tui_trader.binance.guarded_broker import GuardedBroker
from tui_trader.binance.parse_account import PositionModeError
from tui_trader.binance.parse_futures import parse_futures_balances, parse_position_risk
from tui_trader.binance.parse_income import FUNDING, parse_income_page
from tui_trader.binance.parse_orders import (
    ADL_CLIENT_ID,
    OrderReport,
    parse_order_trade_update,
)
from tui_trader.binance.user_stream import UserStream
from tui_trader.clock import Clock
from tui_trader.domain.enums import MarketKind, Severity
from tui_trader.domain.events import SafetyKind
from tui_trader.domain.guards import SEPARATE_GUARDS, GuardKind
from tui_trader.domain.orders import Fill, Order
from tui_trader.domain.portfolio import Balance, FundingFee, Position
from tui_trader.execution.broker import BrokerError
from tui_trader.resilience.breaker import DEFAULT_BREAKER, BreakerLimits
from tui_trader.resilience.retry import Backoff

MarginType = Literal["ISOLATED", "CROSSED"]
_SAME_MARGIN_TYPE = -4046  # "No need to change margin type."


class BinanceFuturesBroker(GuardedBroker):
    name = "binance-futures"
    market = MarketKind.FUTURES
    calls = Calls(
        place="futures_create_order",
        get="futures_get_order",
        cancel="futures_cancel_order",
        open_orders="futures_get_open_orders",
        trades="futures_account_trades",
        exchange_info="futures_exchange_info",
    )

    def __init__(
        self,
        spec: ClientSpec,
        symbols: Sequence[str],
        *,
        clock: Clock,
        leverage: int = 1,
        margin_type: MarginType = "ISOLATED",
        on_safety: SafetyListener | None = None,
        on_account: Callable[[AccountUpdate], None] | None = None,
        reference_price: PriceSource | None = None,
        request_timeout_s: float = 10.0,
        backoff: Backoff | None = None,
        ws_timeout_s: float = 5.0,
        keepalive_s: float = 30 * 60.0,
        silence_s: float = 60.0,
        poll_s: float = 15.0,
        breaker: BreakerLimits = DEFAULT_BREAKER,
    ) -> None:
        """`ws_timeout_s`: the user data socket's timeout (ws_api_timeout_s in
        ExchangeBroker); `keepalive_s`: how often the listenKey is renewed."""
        if not 1 <= leverage <= 125:
            raise ValueError(f"leverage must be 1..125, got {leverage}")
        super().__init__(
            spec,
            symbols,
            clock=clock,
            on_safety=on_safety,
            reference_price=reference_price,
            request_timeout_s=request_timeout_s,
            backoff=backoff,
            ws_api_timeout_s=ws_timeout_s,
            silence_s=silence_s,
            poll_s=poll_s,
            breaker=breaker,
        )
        self._leverage, self._margin_type, self._on_account = leverage, margin_type, on_account
        self._keepalive_s = keepalive_s
        self._leverage_set: dict[str, int] = {}
        self._account = FuturesAccount(self._leverage_set, leverage)
        self._refresh: asyncio.Task[None] | None = None
        self._stale = False  # positions changed since the last positionRisk request
        self._funding = FundingReader(
            self._income_page,
            clock.now(),
            self._report,
            lambda fees: self._announce("INCOME", fees),
        )
        self._algo = FuturesGuards(self._call, symbols)
        self._guards = self._algo

    # --- lifecycle ------------------------------------------------------------------
    async def _connect(self) -> None:
        """Connect and load the filters, check one-way mode, set leverage and margin type
        per symbol, read positions (start() then subscribes to user data)."""
        await super()._connect()
        await self._configure()
        await self.positions()

    def _user_stream(self) -> UserStream:
        return FuturesUserStream(
            self._client,
            self._spec.endpoints.fstream,
            self._on_user_event,
            self._after_gap,
            backoff=self._backoff,
            timeout_s=self._ws_timeout_s,
            keepalive_s=self._keepalive_s,
        )

    async def close(self) -> None:
        if self._refresh is not None:
            await cancel_and_wait(self._refresh)
        await self._funding.close()
        await super().close()

    async def _after_gap(self, reason: str) -> None:
        self._funding.settled()  # while the stream was away?
        await self._on_resubscribed(reason)

    async def _configure(self) -> None:
        mode = await self._call("futures_get_position_mode")
        if mode.get("dualSidePosition") is not False:
            raise BrokerError(
                "the futures account is in hedge mode; this trader places one-way orders: "
                "switch Position Mode to One-way in Binance (with no open positions)"
            )
        for symbol in self._symbols:
            reply = await self._call(
                "futures_change_leverage", symbol=symbol, leverage=self._leverage
            )
            try:
                self._leverage_set[symbol] = int(reply["leverage"])
            except (KeyError, TypeError, ValueError):
                raise BrokerError(f"unreadable leverage reply for {symbol}: {reply!r}") from None
            await self._set_margin_type(symbol)
        message = (
            f"{', '.join(self._symbols)}: leverage {self._leverage}x, "
            f"{self._margin_type.lower()} margin, one-way positions"
        )
        data = {"leverage": dict(self._leverage_set), "margin_type": self._margin_type}
        self._report(Severity.INFO, SafetyKind.FUTURES_SETUP, message, data)

    async def _set_margin_type(self, symbol: str) -> None:
        try:
            await self._call(
                "futures_change_margin_type", symbol=symbol, marginType=self._margin_type
            )
        except ExchangeCallFailed as exc:
            if exc.error.code == _SAME_MARGIN_TYPE:
                return
            raise BrokerError(
                f"cannot set {symbol} to {self._margin_type} margin: {exc.error.describe()}"
            ) from None

    # --- account --------------------------------------------------------------------
    @property
    def last_positions(self) -> dict[str, Position]:
        """Positions as of the last positionRisk reply or ACCOUNT_UPDATE (no I/O)."""
        return dict(self._account.positions)

    @property
    def funding_fees(self) -> dict[str, Decimal]:
        """Funding announced per asset since start (negative: paid)."""
        return dict(self._funding.ledger.totals)

    async def funding_since(self, since: datetime) -> list[FundingFee]:
        """Every funding settlement at or after `since` from the income history, oldest
        first. Booking them is the caller's: the broker will not announce them later
        (those it announced already are among them). BrokerError if it cannot tell."""
        return await self._funding.since(since)

    async def _income_page(self, start_ms: int, limit: int) -> tuple[list[FundingFee], int]:
        return await self._read(
            "futures_income_history",
            parse_income_page,
            "income history",
            incomeType=FUNDING,
            startTime=start_ms,
            limit=limit,
        )

    async def balances(self) -> dict[str, Balance]:
        balances = await self._read(
            "futures_account", parse_futures_balances, "futures account reply"
        )
        self._balances = self._account.balances = balances
        return dict(self._balances)

    async def positions(self) -> dict[str, Position]:
        self._account.positions = await self._read(
            "futures_position_information",
            lambda rows: parse_position_risk(rows, self._leverage_set),
            "positionRisk reply",
        )
        return dict(self._account.positions)

    # --- orders ---------------------------------------------------------------------
    def _refusal(self, order: Order) -> str:
        """Binance waives the minimum notional for reduce-only orders: so do we, or a
        small remainder could never be closed."""
        if not order.purpose.is_exit or order.venue_type:
            return super()._refusal(order)
        rules = self._rules.get(order.symbol)
        ref = self._reference_price(order.symbol) if self._reference_price else None
        waived = replace(rules, min_notional=Decimal(0)) if rules is not None else None
        return order_refusal(order, waived, self._status.get(order.symbol, ""), ref)

    def _market_params(self, order: Order) -> dict[str, str]:
        params = {"positionSide": "BOTH", "newOrderRespType": "RESULT"}
        if order.purpose.is_exit:  # an exit must never open or grow a position
            params["reduceOnly"] = "true"
        return params

    # --- guards (GuardVenue): stops the exchange holds while the trader is down --------
    def guard_kinds(self, symbol: str) -> frozenset[GuardKind]:
        return SEPARATE_GUARDS  # a stop and a take-profit are separate algo orders

    # --- user data ------------------------------------------------------------------
    def _apply_user_event(self, event: dict[str, Any]) -> None:
        if event.get("e") == "ALGO_UPDATE":
            self._algo.on_event(event)
        elif event.get("e") == "ORDER_TRADE_UPDATE":
            report = parse_order_trade_update(event)
            fresh = [e for e in self._take(report) if isinstance(e, Fill)]
            if report.liquidation and fresh:
                self._report_liquidation(report, fresh)
        elif event.get("e") == "ACCOUNT_UPDATE":
            self._on_account_update(event)

    def _report_liquidation(self, report: OrderReport, fills: list[Fill]) -> None:
        """A liquidation or ADL execution: booked like any fill (the listeners had it),
        and never quiet."""
        adl = report.client_order_id.startswith(ADL_CLIENT_ID)
        what = "auto-deleveraged (ADL)" if adl else "liquidated"
        for fill in fills:
            message = (
                f"{fill.symbol} {what} by {self.name}: {fill.side} {fill.quantity} @ "
                f"{fill.price}, fee {fill.fee} {fill.fee_asset} ({report.client_order_id})"
            )
            data = {"client_order_id": report.client_order_id, "trade_id": fill.trade_id}
            self._report(Severity.CRITICAL, SafetyKind.LIQUIDATION, message, data, fill.symbol)

    def _on_account_update(self, event: dict[str, Any]) -> None:
        try:
            applied = self._account.apply(event)
        except PositionModeError as exc:
            message = f"{exc}; positions on {self.name} are unknown until it is one-way again"
            self._report(Severity.CRITICAL, SafetyKind.POSITION_MODE, message, {})
            return
        self._balances = dict(self._account.balances)
        self._announce(applied.reason, ())
        if applied.funding_event:
            self._funding.settled()
        if applied.stale:
            # ACCOUNT_UPDATE has no liquidation price: ask positionRisk again, and once
            # more if another update lands while that request is out.
            self._stale = True
            if self._refresh is None or self._refresh.done():
                self._refresh = asyncio.create_task(self._refresh_positions())

    async def _refresh_positions(self) -> None:
        while self._stale:
            self._stale = False
            try:
                await self.positions()
            except BrokerError as exc:
                message = f"positionRisk failed: {exc}; liquidation prices unknown"
                self._report(Severity.WARNING, SafetyKind.POSITIONS_STALE, message, {})
                return
        self._announce("POSITION_RISK", ())

    def _announce(self, reason: str, funding: tuple[FundingFee, ...]) -> None:
        if self._on_account is None:
            return
        update = self._account.view(self._clock.now(), reason, funding)
        try:
            self._on_account(update)
        except Exception:  # a broken listener must not stop user data
            self._report(Severity.WARNING, SafetyKind.ACCOUNT_LISTENER_FAILED, repr(update), {})
