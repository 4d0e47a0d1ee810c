from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from tui_trader.core.ledger import Portfolio
from tui_trader.domain import Fill, FundingFee, MarketKind, Position, Side

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SYMBOL = "BTCUSDT"


def fill(
    side: Side, qty: str, price: str, fee: str, minute: int = 0, *, asset: str = "USDT"
) -> Fill:
    return Fill(
        client_order_id=f"c{minute}",
        symbol=SYMBOL,
        side=side,
        quantity=D(qty),
        price=D(price),
        fee=D(fee),
        fee_asset=asset,
        ts=T0 + timedelta(minutes=minute),
        trade_id=f"c{minute}-1",
    )


SPOT_FILLS = [
    fill(Side.BUY, "0.1", "50000", "5", 0),
    fill(Side.BUY, "0.1", "52000", "5.2", 1),
    fill(Side.SELL, "0.05", "55000", "2.75", 2),
    fill(Side.SELL, "0.15", "50000", "7.5", 3),
]


def spot(usdt: str = "20000", **extra: D) -> Portfolio:
    return Portfolio("USDT", {"USDT": D(usdt), **extra})


def test_spot_scale_in_averages_entry_and_moves_cash_and_base() -> None:
    book = spot()
    book.apply_fill(SPOT_FILLS[0])
    pos = book.apply_fill(SPOT_FILLS[1])
    assert pos.quantity == D("0.2")
    assert pos.average_entry == D("51000")
    assert pos.opened_at == T0  # set when opening from flat, kept on scale-in
    assert pos.fees_paid == D("10.2")
    assert book.cash == D("20000") - D("5005") - D("5205.2") == D("9789.8")
    assert book.balance("BTC") == D("0.2")
    book.mark(SYMBOL, D("53000"))
    assert book.unrealized_pnl() == D("400")
    assert book.equity() == D("9789.8") + D("0.2") * D("53000") == D("20389.8")


def test_spot_partial_close_then_full_close_realizes_pnl() -> None:
    book = spot()
    for f in SPOT_FILLS[:3]:
        pos = book.apply_fill(f)
    assert pos.quantity == D("0.15")
    assert pos.average_entry == D("51000")  # a reduction keeps the entry
    assert pos.realized_pnl == D("200")  # (55000 - 51000) × 0.05
    pos = book.apply_fill(SPOT_FILLS[3])
    assert pos.quantity == 0 and pos.opened_at is None and pos.average_entry == 0
    assert pos.realized_pnl == D("50")  # 200 + (50000 - 51000) × 0.15
    assert book.realized_pnl == D("50")
    assert book.fees_paid == D("20.45")
    assert book.positions == {}
    assert book.balance("BTC") == 0
    assert book.equity() == book.cash


def test_spot_cash_change_is_sells_minus_buys_minus_fees() -> None:
    book = spot()
    for f in SPOT_FILLS:
        book.apply_fill(f)
    buys = sum(f.notional for f in SPOT_FILLS if f.side is Side.BUY)
    sells = sum(f.notional for f in SPOT_FILLS if f.side is Side.SELL)
    fees = sum(f.fee for f in SPOT_FILLS)
    assert book.cash - D("20000") == sells - buys - fees == D("29.55")
    # a closed round trip changes cash by exactly realized PnL minus fees
    assert book.cash - D("20000") == book.realized_pnl - book.fees_paid


def test_spot_equity_is_cash_plus_holdings_at_mark() -> None:
    book = spot("1000", ETH=D("2"))
    book.apply_fill(fill(Side.BUY, "0.01", "40000", "0.4"))
    book.mark(SYMBOL, D("41000"))
    assert book.equity() == book.cash + D("0.01") * D("41000")  # ETH has no price yet
    book.mark("ETHUSDT", D("2500"))
    assert book.equity() == D("599.6") + D("410") + D("5000")
    balances = book.balances()
    assert balances["ETH"].free == D("2") and balances["BTC"].total == D("0.01")


def test_spot_sell_of_older_holdings_realizes_nothing() -> None:
    book = spot("0", BTC=D("1"))
    pos = book.apply_fill(fill(Side.SELL, "0.5", "100", "0.05"))
    assert pos.quantity == 0 and pos.realized_pnl == 0
    assert book.cash == D("49.95")
    assert book.balance("BTC") == D("0.5")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (fill(Side.BUY, "0", "100", "0"), "quantity must be positive"),
        (fill(Side.BUY, "1", "-1", "0"), "price must be positive"),
        (fill(Side.BUY, "1", "100", "-0.1"), "fee must be >= 0"),
        (fill(Side.BUY, "1", "100", "0.1", asset="BNB"), "fee in BNB, expected USDT"),
        (fill(Side.SELL, "2", "100", "0.1"), "spot sells 2 BTC but holds 1"),
    ],
)
def test_bad_fill_is_refused_and_changes_nothing(bad: Fill, message: str) -> None:
    book = spot("1000", BTC=D("1"))
    with pytest.raises(ValueError, match=message):
        book.apply_fill(bad)
    assert book.cash == D("1000") and book.balance("BTC") == D("1")
    assert book.fees_paid == 0 and book.positions == {}


def test_fill_for_symbol_not_in_quote_asset_is_refused() -> None:
    book = spot()
    other = Fill("c", "ETHBTC", Side.BUY, D("1"), D("0.05"), D("0"), "BTC", T0, "c-1")
    with pytest.raises(ValueError, match="not quoted in USDT"):
        book.apply_fill(other)


def test_mark_rejects_non_positive_price() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        spot().mark(SYMBOL, D("0"))


def test_negative_initial_balance_is_refused() -> None:
    with pytest.raises(ValueError, match="USDT must be >= 0"):
        Portfolio("USDT", {"USDT": D("-1")})


def futures(leverage: int = 1) -> Portfolio:
    return Portfolio("USDT", {"USDT": D("1000")}, MarketKind.FUTURES, leverage=leverage)


def test_futures_long_to_short_flip_through_zero() -> None:
    book = futures()
    book.apply_fill(fill(Side.BUY, "2", "100", "0.2", 0))
    assert book.cash == D("999.8")  # the wallet moves only by fees and realized PnL
    book.mark(SYMBOL, D("105"))
    assert book.equity() == D("999.8") + D("10")
    pos = book.apply_fill(fill(Side.SELL, "3", "110", "0.33", 1))
    assert pos.quantity == D("-1")
    assert pos.average_entry == D("110")  # the remainder opened at the fill price
    assert pos.opened_at == T0 + timedelta(minutes=1)
    assert pos.realized_pnl == D("20")  # (110 - 100) × 2 closed
    assert book.cash == D("999.8") + D("20") - D("0.33") == D("1019.47")
    book.mark(SYMBOL, D("100"))
    assert book.unrealized_pnl() == D("10")  # short 1 from 110 marked at 100
    assert book.equity() == D("1029.47")
    pos = book.apply_fill(fill(Side.BUY, "1", "90", "0.09", 2))
    assert pos.quantity == 0 and pos.opened_at is None
    assert book.realized_pnl == D("40")
    assert book.fees_paid == D("0.62")
    assert book.cash == D("1039.38") == D("1000") + book.realized_pnl - book.fees_paid
    assert set(book.balances()) == {"USDT"}  # no base asset moves on futures


def test_futures_short_scale_in_and_partial_cover() -> None:
    book = futures(leverage=5)
    book.apply_fill(fill(Side.SELL, "1", "100", "0"))
    pos = book.apply_fill(fill(Side.SELL, "1", "90", "0"))
    assert pos.quantity == D("-2") and pos.average_entry == D("95")
    assert book.margin_used() == D("38")  # 2 × 95 / 5
    pos = book.apply_fill(fill(Side.BUY, "0.5", "85", "0"))
    assert pos.quantity == D("-1.5") and pos.average_entry == D("95")
    assert pos.realized_pnl == D("5")  # short gains (95 - 85) × 0.5
    assert pos.leverage == 5


@pytest.mark.parametrize("market", [MarketKind.SPOT, MarketKind.FUTURES])
def test_replay_rebuilds_exactly(market: MarketKind) -> None:
    fills = [*SPOT_FILLS, fill(Side.BUY, "0.3", "48000", "14.4", 4)]
    live = Portfolio("USDT", {"USDT": D("20000")}, market)
    for f in fills:
        live.apply_fill(f)
    rebuilt = Portfolio.replay("USDT", {"USDT": D("20000")}, fills, market)
    assert rebuilt.balances() == live.balances()
    assert rebuilt.positions == live.positions
    assert rebuilt.position(SYMBOL) == live.position(SYMBOL)
    assert (rebuilt.realized_pnl, rebuilt.fees_paid) == (live.realized_pnl, live.fees_paid)
    assert rebuilt.equity() == live.equity()
    assert live.position(SYMBOL).quantity == D("0.3")


def test_seeded_positions_count_towards_totals() -> None:
    source = futures()
    source.apply_fill(fill(Side.BUY, "1", "100", "0.1"))
    source.apply_fill(fill(Side.SELL, "0.5", "120", "0.06", 1))
    pos = source.position(SYMBOL)
    seeded = Portfolio("USDT", {"USDT": source.cash}, MarketKind.FUTURES, positions=[pos])
    assert seeded.positions == source.positions
    assert seeded.realized_pnl == D("10") and seeded.fees_paid == D("0.16")
    assert seeded.equity() == source.equity()


def test_account_view_carries_the_figures() -> None:
    book = spot()
    book.apply_fill(SPOT_FILLS[0])
    book.mark(SYMBOL, D("51000"))
    view = book.account_view(day_pnl=D("-5"), drawdown_pct=D("1.5"))
    assert view.quote_asset == "USDT"
    assert view.cash == D("14995")
    assert view.equity == D("14995") + D("5100")
    assert view.unrealized_pnl == D("100")
    assert (view.fees_paid, view.realized_pnl) == (D("5"), D("0"))
    assert (view.day_pnl, view.drawdown_pct) == (D("-5"), D("1.5"))


def test_funding_moves_the_futures_wallet_and_equity() -> None:
    book = futures()
    book.apply_fill(fill(Side.BUY, "2", "100", "0"))
    book.mark(SYMBOL, D("101"))
    book.apply_funding(FundingFee(T0, "USDT", D("-0.0202"), SYMBOL, "1"))  # long pays 0.01% of 202
    book.apply_funding(FundingFee(T0 + timedelta(hours=8), "USDT", D("0.005"), SYMBOL, "2"))
    assert book.cash == D("1000") - D("0.0202") + D("0.005") == D("999.9848")
    assert book.funding == D("-0.0152")
    assert book.equity() == D("999.9848") + D("2")  # wallet + unrealized (101 - 100) × 2
    assert book.realized_pnl == 0 and book.fees_paid == 0  # funding is neither
    assert book.account_view().funding == D("-0.0152")
    # The same settlement again (stream and history, or a restart): booked once.
    assert not book.apply_funding(FundingFee(T0, "USDT", D("-0.0202"), SYMBOL, "1"))
    assert book.cash == D("999.9848")


@pytest.mark.parametrize(
    ("book", "fee", "message"),
    [
        (spot(), FundingFee(T0, "USDT", D("-1"), SYMBOL, "3"), "funding fee on a spot account"),
        (futures(), FundingFee(T0, "BNB", D("-1"), SYMBOL, "4"), "in BNB, expected USDT"),
        (futures(), FundingFee(T0, "USDT", D("NaN"), SYMBOL, "5"), "must be a finite amount"),
    ],
)
def test_bad_funding_is_refused_and_changes_nothing(
    book: Portfolio, fee: FundingFee, message: str
) -> None:
    before = book.balances()
    with pytest.raises(ValueError, match=message):
        book.apply_funding(fee)
    assert book.balances() == before and book.funding == 0


def test_liquidation_price_is_shown_only_for_the_size_it_was_computed_for() -> None:
    book = futures(leverage=10)
    book.apply_fill(fill(Side.BUY, "1", "100", "0"))
    book.set_liquidation(SYMBOL, D("1"), D("90.5"))
    assert book.position(SYMBOL).liquidation_price == D("90.5")
    assert book.positions[SYMBOL].liquidation_price == D("90.5")
    book.apply_fill(fill(Side.BUY, "1", "110", "0", 1))  # grown: the old price is wrong
    assert book.position(SYMBOL).liquidation_price is None
    book.set_liquidation(SYMBOL, D("2"), D("95.6"))
    assert book.position(SYMBOL).liquidation_price == D("95.6")
    book.set_liquidation(SYMBOL, D("2"), None)  # the exchange says none (or unknown)
    assert book.position(SYMBOL).liquidation_price is None
    with pytest.raises(ValueError, match="must be positive"):
        book.set_liquidation(SYMBOL, D("2"), D("-1"))


def test_seeded_liquidation_price_survives_a_restart() -> None:
    seeded_position = Position(SYMBOL, D("-1"), D("100"), liquidation_price=D("109"))
    book = Portfolio("USDT", {"USDT": D("1000")}, MarketKind.FUTURES, positions=[seeded_position])
    assert book.position(SYMBOL).liquidation_price == D("109")


def test_exposure_is_gross_at_mark_longs_and_shorts_alike() -> None:
    book = spot()
    assert book.exposure() == 0
    book.apply_fill(SPOT_FILLS[0])  # 0.1 bought at 50000, no price seen yet: at entry
    assert book.exposure() == D("5000")
    book.mark(SYMBOL, D("51000"))
    assert book.exposure() == D("5100") == book.account_view().exposure
    short = futures()
    short.apply_fill(fill(Side.SELL, "2", "100", "0"))
    short.mark(SYMBOL, D("90"))
    assert short.exposure() == D("180")  # |-2| x 90, not -180
