"""Portfolio accounting from fills: positions, cash, fees and PnL, exact in Decimal.

Fees are charged in the quote asset (the paper exchange, futures), or on spot in the base
asset bought (Binance's default for buys): the base received is then the quantity minus
the fee, and fee totals count it at the fill price. That keeps cash, PnL and equity exact;
a fill whose fee is in any other asset (BNB) is refused with a clear error instead of
being valued wrongly.

SPOT is long only: a buy spends quote and adds base, a sell does the reverse; equity is
cash plus every base balance at its mark. FUTURES (USD-M) positions are signed; the wallet
moves only by realized PnL, fees and funding, and equity is the wallet plus unrealized
PnL. The exchange's liquidation price of a futures position is shown while the position
keeps the size it was computed for.
"""

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from tui_trader.domain.enums import MarketKind, Side
from tui_trader.domain.orders import Fill
from tui_trader.domain.portfolio import Balance, FundingFee, Position, VenueFee
from tui_trader.snapshot import AccountView

ZERO = Decimal(0)


def _next_position(
    pos: Position, delta: Decimal, fill: Fill, fee: Decimal
) -> tuple[Position, Decimal]:
    """The position after trading signed `delta` at the fill price and paying `fee` (in
    the quote asset), and the PnL realized. One new Position per fill, built directly:
    `dataclasses.replace` costs more than the arithmetic here."""
    qty, price = pos.quantity, fill.price
    realized = ZERO
    if not delta:
        new_qty, average, opened_at = qty, pos.average_entry, pos.opened_at
    elif qty == 0 or (qty > 0) == (delta > 0):
        new_qty = qty + delta
        average = (qty * pos.average_entry + delta * price) / new_qty
        opened_at = pos.opened_at if qty else fill.ts
    else:
        closed = min(abs(delta), abs(qty))
        realized = (price - pos.average_entry) * closed * (1 if qty > 0 else -1)
        new_qty = qty + delta
        if new_qty == 0:
            average, opened_at = ZERO, None
        elif (new_qty > 0) == (qty > 0):
            average, opened_at = pos.average_entry, pos.opened_at
        else:  # crossed through zero: the rest opens a new position at the fill price
            average, opened_at = price, fill.ts
    updated = Position(
        pos.symbol, new_qty, average, opened_at, pos.realized_pnl + realized,
        pos.fees_paid + fee, pos.mark_price, pos.leverage, pos.liquidation_price,
    )  # fmt: skip
    return updated, realized


class Portfolio:
    def __init__(
        self,
        quote_asset: str,
        initial_balances: Mapping[str, Decimal],
        market: MarketKind = MarketKind.SPOT,
        base_of: Callable[[str], str] | None = None,
        *,
        leverage: int = 1,
        positions: Iterable[Position] = (),
    ) -> None:
        """`positions` seeds positions restored after a restart (their realized PnL and
        fees count towards the totals)."""
        for asset, amount in initial_balances.items():
            if not amount.is_finite() or amount < 0:
                raise ValueError(f"initial balance of {asset} must be >= 0, got {amount}")
        if leverage < 1:
            raise ValueError(f"leverage must be >= 1, got {leverage}")
        self.quote_asset = quote_asset
        self.market = market
        self.leverage = leverage
        self._base_of = base_of or (lambda symbol: symbol.removesuffix(quote_asset))
        self._balances = dict(initial_balances)
        self._balances.setdefault(quote_asset, ZERO)
        self._positions = {pos.symbol: pos for pos in positions}
        self._marks = {p.symbol: p.mark_price for p in self._positions.values() if p.mark_price}
        self._realized = sum((p.realized_pnl for p in self._positions.values()), ZERO)
        self._fees = sum((p.fees_paid for p in self._positions.values()), ZERO)
        self._funding = ZERO
        self._funding_refs: set[str] = set()
        self._venue_fee_refs: set[str] = set()
        # symbol -> (the position size it was computed for, liquidation price)
        self._liquidation: dict[str, tuple[Decimal, Decimal]] = {
            p.symbol: (p.quantity, p.liquidation_price)
            for p in self._positions.values()
            if p.liquidation_price is not None
        }

    @classmethod
    def replay(
        cls,
        quote_asset: str,
        initial_balances: Mapping[str, Decimal],
        fills: Iterable[Fill],
        market: MarketKind = MarketKind.SPOT,
        base_of: Callable[[str], str] | None = None,
        *,
        leverage: int = 1,
    ) -> "Portfolio":
        """Rebuild the portfolio from the initial balances and every fill, in order."""
        portfolio = cls(quote_asset, initial_balances, market, base_of, leverage=leverage)
        for fill in fills:
            portfolio.apply_fill(fill)
        return portfolio

    # --- updates -------------------------------------------------------------------------

    def apply_fill(self, fill: Fill) -> Position:
        """Book one fill; raises ValueError (changing nothing) when the fill is invalid."""
        self._check(fill)
        pos = self._positions.get(fill.symbol) or self._flat(fill.symbol)
        if self.market is MarketKind.SPOT:
            delta = self._book_spot(fill, pos.quantity)
        else:
            delta = fill.quantity if fill.side is Side.BUY else -fill.quantity
        fee = self._fee_in_quote(fill)
        pos, realized = _next_position(pos, delta, fill, fee)
        if self.market is MarketKind.FUTURES:
            self._add(self.quote_asset, realized - fill.fee)
        self._realized += realized
        self._fees += fee
        self._marks[fill.symbol] = fill.price  # a fill is a trade: the latest known price
        self._positions[fill.symbol] = pos
        return self.position(fill.symbol)

    def apply_funding(self, fee: FundingFee) -> bool:
        """Book a funding settlement on the futures wallet; False (changing nothing) if
        this settlement (its ref) is booked already. Raises ValueError (changing
        nothing) on spot, in another asset, or for a non-finite amount."""
        if self.market is not MarketKind.FUTURES:
            raise ValueError(f"funding fee on a {self.market.value} account")
        if fee.asset != self.quote_asset:
            raise ValueError(f"funding fee in {fee.asset}, expected {self.quote_asset}")
        if not fee.amount.is_finite():
            raise ValueError(f"funding fee must be a finite amount, got {fee.amount}")
        if fee.ref in self._funding_refs:
            return False
        self._funding_refs.add(fee.ref)
        self._add(self.quote_asset, fee.amount)
        self._funding += fee.amount
        return True

    def apply_venue_fee(self, fee: VenueFee) -> bool:
        """Book a venue's charge outside any fill (a fee: cash down, fees paid up); False
        (changing nothing) if booked already. Raises ValueError (changing nothing) in
        another asset than the quote, or for a non-finite amount."""
        if fee.asset != self.quote_asset:
            raise ValueError(f"venue fee in {fee.asset}, expected {self.quote_asset}")
        if not fee.amount.is_finite():
            raise ValueError(f"venue fee must be a finite amount, got {fee.amount}")
        if fee.ref in self._venue_fee_refs:
            return False
        self._venue_fee_refs.add(fee.ref)
        self._add(self.quote_asset, fee.amount)
        self._fees -= fee.amount
        return True

    def set_liquidation(self, symbol: str, quantity: Decimal, price: Decimal | None) -> None:
        """The exchange's liquidation price for a position of `quantity` (None: none or
        unknown). It is shown only while the position still has that size: a fill in
        between makes it unknown until the exchange says again."""
        if price is None or quantity == 0:
            self._liquidation.pop(symbol, None)
        elif not price.is_finite() or price <= 0:
            raise ValueError(f"liquidation price for {symbol} must be positive, got {price}")
        else:
            self._liquidation[symbol] = (quantity, price)

    def mark(self, symbol: str, price: Decimal) -> None:
        if price <= 0:
            raise ValueError(f"mark price for {symbol} must be positive, got {price}")
        self._marks[symbol] = price

    def _book_spot(self, fill: Fill, held: Decimal) -> Decimal:
        """Move quote and base balances; returns the signed change of the position. Sold
        base beyond the position (holdings older than the portfolio) has no cost basis
        and so realizes no PnL."""
        base = self._base_of(fill.symbol)
        # Binance takes a spot buy's commission from the asset bought.
        base_fee = fill.fee if fill.fee_asset == base else ZERO
        quote_fee = fill.fee - base_fee
        if fill.side is Side.BUY:
            self._add(self.quote_asset, -(fill.notional + quote_fee))
            self._add(base, fill.quantity - base_fee)
            return fill.quantity - base_fee
        self._add(self.quote_asset, fill.notional - quote_fee)
        self._add(base, -(fill.quantity + base_fee))
        return -min(fill.quantity + base_fee, held)

    def _fee_in_quote(self, fill: Fill) -> Decimal:
        """Fees are summed in the quote asset; a base-asset fee at the fill price."""
        if fill.fee and fill.fee_asset != self.quote_asset:
            return fill.fee * fill.price
        return fill.fee

    def _check(self, fill: Fill) -> None:
        problem = self._problem(fill)
        if problem:
            raise ValueError(f"fill {fill.trade_id} ({fill.symbol}): {problem}")

    def _problem(self, fill: Fill) -> str:
        """What makes `fill` unbookable, or "" (the message is built only then)."""
        if not fill.quantity.is_finite() or fill.quantity <= 0:
            return f"quantity must be positive, got {fill.quantity}"
        if not fill.price.is_finite() or fill.price <= 0:
            return f"price must be positive, got {fill.price}"
        if not fill.fee.is_finite() or fill.fee < 0:
            return f"fee must be >= 0, got {fill.fee}"
        base = self._base_of(fill.symbol)
        spot_base_fee = self.market is MarketKind.SPOT and fill.fee_asset == base
        if fill.fee and fill.fee_asset != self.quote_asset and not spot_base_fee:
            return f"fee in {fill.fee_asset}, expected {self.quote_asset}"
        if self.market is MarketKind.FUTURES:
            return ""
        if not base or base == fill.symbol:
            return f"symbol is not quoted in {self.quote_asset}"
        held = self._balances.get(base, ZERO)
        if fill.side is Side.SELL and fill.quantity > held:
            return f"spot sells {fill.quantity} {base} but holds {held}"
        return ""

    def _add(self, asset: str, amount: Decimal) -> None:
        self._balances[asset] = self._balances.get(asset, ZERO) + amount

    def _flat(self, symbol: str) -> Position:
        return Position(symbol, ZERO, ZERO, leverage=self.leverage)

    # --- queries -------------------------------------------------------------------------

    @property
    def cash(self) -> Decimal:
        """Free quote balance on spot; the wallet balance on futures."""
        return self._balances[self.quote_asset]

    @property
    def realized_pnl(self) -> Decimal:
        return self._realized

    @property
    def fees_paid(self) -> Decimal:
        return self._fees

    @property
    def funding(self) -> Decimal:
        """Funding booked since start (negative: paid)."""
        return self._funding

    @property
    def positions(self) -> dict[str, Position]:
        """Open positions, marked at the latest price."""
        return {s: self.position(s) for s, p in self._positions.items() if p.quantity}

    def held(self, symbol: str) -> Decimal:
        """The raw position quantity: a cheap check for the per-tick hot path."""
        pos = self._positions.get(symbol)
        return pos.quantity if pos is not None else ZERO

    def position(self, symbol: str) -> Position:
        """The position in `symbol` (flat if never traded), marked at the latest price."""
        pos = self._positions.get(symbol) or self._flat(symbol)
        mark = self._marks.get(symbol, pos.mark_price)
        known = self._liquidation.get(symbol)
        liquidation = known[1] if known is not None and known[0] == pos.quantity else None
        # Built directly, not by dataclasses.replace: asked per order and per fill.
        return Position(
            pos.symbol, pos.quantity, pos.average_entry, pos.opened_at, pos.realized_pnl,
            pos.fees_paid, mark, pos.leverage, liquidation,
        )  # fmt: skip

    def balance(self, asset: str) -> Decimal:
        return self._balances.get(asset, ZERO)

    def balances(self) -> dict[str, Balance]:
        return {asset: Balance(asset, amount) for asset, amount in self._balances.items()}

    def unrealized_pnl(self) -> Decimal:
        return sum((p.unrealized_pnl for p in self.positions.values()), ZERO)

    def margin_used(self) -> Decimal:
        """Initial margin of the open positions: |quantity| × entry / leverage."""
        open_cost = sum((abs(p.quantity) * p.average_entry for p in self.positions.values()), ZERO)
        return open_cost / self.leverage

    def exposure(self) -> Decimal:
        """Gross exposure of the open positions: |quantity| × mark (× entry while no
        price has been seen), longs and shorts alike."""
        return sum(
            (abs(p.quantity) * (p.mark_price or p.average_entry) for p in self.positions.values()),
            ZERO,
        )

    def equity(self) -> Decimal:
        """Futures: wallet + unrealized PnL. Spot: cash + each base balance × its mark;
        an asset whose price has not been seen yet counts as zero."""
        if self.market is MarketKind.FUTURES:
            return self.cash + self.unrealized_pnl()
        held = (self.balance(self._base_of(s)) * price for s, price in self._marks.items())
        return self.cash + sum(held, ZERO)

    def account_view(
        self, day_pnl: Decimal = ZERO, drawdown_pct: Decimal = ZERO, day_pnl_pct: Decimal = ZERO
    ) -> AccountView:
        """Account figures for the UI; day PnL and drawdown need history the caller keeps."""
        return AccountView(
            quote_asset=self.quote_asset,
            equity=self.equity(),
            cash=self.cash,
            day_pnl=day_pnl,
            day_pnl_pct=day_pnl_pct,
            drawdown_pct=drawdown_pct,
            fees_paid=self._fees,
            funding=self._funding,
            realized_pnl=self._realized,
            unrealized_pnl=self.unrealized_pnl(),
            exposure=self.exposure(),
            balances=self._balance_rows(),
        )

    def _balance_rows(self) -> tuple[Balance, ...]:
        held = [b for b in self.balances().values() if b.total != 0]
        return tuple(sorted(held, key=lambda b: (b.asset != self.quote_asset, b.asset)))
