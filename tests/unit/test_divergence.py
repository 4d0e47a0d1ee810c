"""Paper measured against live, order by order: the price and fee effects (live minus
paper, in the quote asset), slippage from the decision's price, time to fill, fill ratio,
and what cannot be priced or converted said plainly."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tui_trader.domain.enums import Side
from tui_trader.domain.orders import Fill
from tui_trader.execution.divergence import MirroredOrder, compare

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def order(
    cid: str, side: Side = Side.BUY, qty: str = "1", ref: str | None = "100"
) -> MirroredOrder:
    reference = Decimal(ref) if ref is not None else None
    return MirroredOrder(cid, "BTCUSDT", side, Decimal(qty), T0, reference)


def fill(
    cid: str, qty: str, price: str, fee: str = "0", asset: str = "USDT", after_s: float = 1.0,
    side: Side = Side.BUY,
) -> Fill:  # fmt: skip
    ts = T0 + timedelta(seconds=after_s)
    return Fill(
        cid, "BTCUSDT", side, Decimal(qty), Decimal(price), Decimal(fee), asset, ts, cid + qty
    )


def base_of(symbol: str) -> str:
    return symbol.removesuffix("USDT")


def test_a_buy_filled_dearer_live_costs_the_difference_and_its_fees() -> None:
    live = [fill("a", "0.5", "101", fee="0.05", after_s=2), fill("a", "0.5", "103", fee="0.05")]
    paper = [fill("a", "1", "100.5", fee="0.1", after_s=0.5)]
    report = compare([order("a")], live, paper, "USDT", base_of)
    [row] = report.rows
    assert row.live.average == Decimal(102) and row.paper.average == Decimal("100.5")
    assert row.price_effect == Decimal("-1.5")  # paid 1.5 more live
    assert row.fee_effect == Decimal(0)
    assert row.slippage_bps(row.live) == Decimal(200)  # 102 vs 100: 2% adverse
    assert row.slippage_bps(row.paper) == Decimal(50)
    assert row.seconds_to_fill(row.live) == 1.0 and row.seconds_to_fill(row.paper) == 0.5
    assert report.total == Decimal("-1.5")
    assert report.headline() == "live − paper -1.50 over 1 orders (price -1.50, fees +0.00)"


def test_a_sell_filled_higher_live_gains_and_lower_fees_count_for_live() -> None:
    live = [fill("s", "2", "101", fee="0.1", side=Side.SELL)]
    paper = [fill("s", "2", "100", fee="0.3", side=Side.SELL)]
    report = compare([order("s", Side.SELL, "2")], live, paper, "USDT", base_of)
    assert (report.price_effect, report.fee_effect, report.total) == (
        Decimal(2),
        Decimal("0.2"),
        Decimal("2.2"),
    )


def test_a_partial_or_missing_fill_is_unmatched_and_not_priced() -> None:
    live = [fill("p", "0.25", "100")]
    paper = [fill("p", "1", "100")]
    report = compare([order("p"), order("q")], live, paper, "USDT", base_of)
    partial, empty = report.rows
    assert partial.unmatched == Decimal("-0.75") and partial.price_effect == 0
    assert partial.fill_ratio(partial.live) == Decimal("0.25")
    assert empty.live.filled == 0 and empty.slippage_bps(empty.live) is None
    assert empty.seconds_to_fill(empty.paper) is None
    assert len(report.unmatched_orders) == 1  # q filled nowhere: the same on both sides
    assert report.headline().endswith("; 1 filled differently")


def test_fees_in_base_are_priced_and_fees_in_bnb_are_named_not_guessed() -> None:
    live = [
        fill("f", "1", "100", fee="0.001", asset="BTC"),
        fill("f", "0", "100", fee="0.02", asset="BNB"),
    ]
    paper = [fill("f", "1", "100", fee="0.1")]
    report = compare([order("f")], live, paper, "USDT", base_of)
    assert report.fee_effect == Decimal("0.1") - Decimal("0.1")
    assert report.unconverted_fees == {"BNB"}


def test_orders_without_a_reference_price_have_no_slippage_and_an_empty_report_says_so() -> None:
    report = compare([order("r", ref=None)], [fill("r", "1", "100")], [], "USDT", base_of)
    assert report.rows[0].slippage_bps(report.rows[0].live) is None
    assert compare([], [], [], "USDT", base_of).headline() == "no mirrored orders yet"
