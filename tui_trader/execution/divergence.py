"""Paper measured against live: the same orders, sent to the venue and to a shadow paper
broker, compared order by order (fill price, slippage from the decision's reference
price, fees, time to the first fill, fill ratio), with the PnL difference they make and
its causes. Pure: the shadow (runtime/shadow.py) and `tui-trader report divergence` feed
it fills; this module only compares.

Sign convention: an effect is live minus paper, in the quote asset, so a negative number
is what live trading cost compared with what paper trading promised. The price effect
counts the quantity both filled; a quantity only one side filled is listed as unmatched,
not priced (what it would have earned depends on an exit that never happened)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tui_trader.domain.enums import Side
from tui_trader.domain.orders import Fill

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Execution:
    """What one venue did with one order."""

    fills: tuple[Fill, ...]

    @property
    def filled(self) -> Decimal:
        return sum((f.quantity for f in self.fills), ZERO)

    @property
    def average(self) -> Decimal:
        filled = self.filled
        return sum((f.notional for f in self.fills), ZERO) / filled if filled else ZERO

    @property
    def first_fill_at(self) -> datetime | None:
        return min((f.ts for f in self.fills), default=None)

    def fees(self, quote: str, base: str) -> tuple[Decimal, frozenset[str]]:
        """Fees in the quote asset, and the assets that could not be converted (a fee in
        BNB has no price here)."""
        total, other = ZERO, set()
        for fill in self.fills:
            if fill.fee_asset == quote or fill.fee == 0:
                total += fill.fee
            elif fill.fee_asset == base:
                total += fill.fee * fill.price
            else:
                other.add(fill.fee_asset)
        return total, frozenset(other)


@dataclass(frozen=True, slots=True)
class MirroredOrder:
    """An order the trader sent, as the comparison needs it."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: Decimal
    created_at: datetime
    reference_price: Decimal | None  # the price the decision saw


@dataclass(frozen=True, slots=True)
class OrderDivergence:
    order: MirroredOrder
    live: Execution
    paper: Execution
    quote: str
    base: str

    @property
    def matched(self) -> Decimal:
        return min(self.live.filled, self.paper.filled)

    @property
    def unmatched(self) -> Decimal:
        """Live filled minus paper filled (base units)."""
        return self.live.filled - self.paper.filled

    @property
    def price_effect(self) -> Decimal:
        """Live minus paper on the quantity both filled: buying cheaper live is positive."""
        if not self.matched:
            return ZERO
        sign = 1 if self.order.side is Side.BUY else -1
        return sign * (self.paper.average - self.live.average) * self.matched

    @property
    def fee_effect(self) -> Decimal:
        live, _ = self.live.fees(self.quote, self.base)
        paper, _ = self.paper.fees(self.quote, self.base)
        return paper - live

    @property
    def unconverted_fees(self) -> frozenset[str]:
        return self.live.fees(self.quote, self.base)[1] | self.paper.fees(self.quote, self.base)[1]

    def slippage_bps(self, execution: Execution) -> Decimal | None:
        """Against the reference price, adverse positive (paid more / received less)."""
        reference = self.order.reference_price
        if not reference or not execution.filled:
            return None
        sign = 1 if self.order.side is Side.BUY else -1
        return sign * (execution.average - reference) / reference * 10000

    def seconds_to_fill(self, execution: Execution) -> float | None:
        first = execution.first_fill_at
        return None if first is None else (first - self.order.created_at).total_seconds()

    def fill_ratio(self, execution: Execution) -> Decimal:
        return execution.filled / self.order.quantity if self.order.quantity else ZERO


@dataclass(frozen=True, slots=True)
class DivergenceReport:
    rows: tuple[OrderDivergence, ...]

    @property
    def price_effect(self) -> Decimal:
        return sum((r.price_effect for r in self.rows), ZERO)

    @property
    def fee_effect(self) -> Decimal:
        return sum((r.fee_effect for r in self.rows), ZERO)

    @property
    def total(self) -> Decimal:
        return self.price_effect + self.fee_effect

    @property
    def unmatched_orders(self) -> tuple[OrderDivergence, ...]:
        return tuple(r for r in self.rows if r.unmatched != 0)

    @property
    def unconverted_fees(self) -> frozenset[str]:
        return frozenset().union(*(r.unconverted_fees for r in self.rows))

    def headline(self) -> str:
        """One line for the app and the status: the difference and its causes."""
        if not self.rows:
            return "no mirrored orders yet"
        line = (
            f"live − paper {self.total:+.2f} over {len(self.rows)} orders "
            f"(price {self.price_effect:+.2f}, fees {self.fee_effect:+.2f})"
        )
        if self.unmatched_orders:
            line += f"; {len(self.unmatched_orders)} filled differently"
        return line


def compare(
    orders: Iterable[MirroredOrder],
    live_fills: Iterable[Fill],
    paper_fills: Iterable[Fill],
    quote: str,
    base_of: Callable[[str], str],
) -> DivergenceReport:
    """Pair each order's live and paper fills by client order id, oldest order first."""
    live, paper = _by_order(live_fills), _by_order(paper_fills)
    rows = [
        OrderDivergence(
            order,
            Execution(live.get(order.client_order_id, ())),
            Execution(paper.get(order.client_order_id, ())),
            quote,
            base_of(order.symbol),
        )
        for order in sorted(orders, key=lambda o: o.created_at)
    ]
    return DivergenceReport(tuple(rows))


def _by_order(fills: Iterable[Fill]) -> Mapping[str, tuple[Fill, ...]]:
    grouped: dict[str, list[Fill]] = {}
    for fill in fills:
        grouped.setdefault(fill.client_order_id, []).append(fill)
    return {cid: tuple(group) for cid, group in grouped.items()}
