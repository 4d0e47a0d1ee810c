"""Issue #14 item 2: the money is on the first screen. The header holds equity, today's
PnL (amount and %, coloured by sign) and the open exposure, at 80x24 (a second header
line) and at 160x48 (one line), in every theme, next to the trading state and its
reason; a fill moves the exposure."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from rich.text import Text
from test_tui_trading import fast_market, freeze_market_when
from textual.widgets import Static
from tui_support import Cockpit, market_ready, screen_plain, start_trading, wait_for

from tui_trader.config import load_settings
from tui_trader.domain.money import quote_places
from tui_trader.runtime.venue_connect import venue_caption
from tui_trader.snapshot import AccountView
from tui_trader.tui.themes import TRADING_VARIABLE_DEFAULTS
from tui_trader.tui.widgets.base import Palette
from tui_trader.tui.widgets.header import StatusBar, fit_words, money_text

Make = Callable[..., Cockpit]
SIZES = [(80, 24, 2), (160, 48, 1)]  # columns, rows, header lines
SHIPPED = ("trader-dark", "trader-light", "trader-mono")


def header(c: Cockpit) -> list[str]:
    """The header lines as the terminal shows them."""
    height = c.app.query_one(StatusBar).size.height
    return screen_plain(c.app).splitlines()[:height]


def settled(c: Cockpit) -> bool:
    return c.app.shown_version == c.trader.snapshot().version


def test_fit_words_cuts_after_a_whole_word_and_says_so() -> None:
    assert fit_words("HALTED: kill switch", 19) == "HALTED: kill switch"
    assert fit_words("HALTED: kill switch", 18) == "HALTED: kill…"
    assert fit_words("HALTED: kill switch", 13) == "HALTED: kill…"
    assert fit_words("HALTED: kill switch", 12) == "HALTED:…"
    assert fit_words("REDUCING", 5) == "REDU…"  # one word: cut, but never silently


def test_money_text_colours_the_day_by_its_sign() -> None:
    palette = Palette.from_variables(TRADING_VARIABLE_DEFAULTS)
    zero = Decimal(0)
    account = AccountView(
        "USDT", Decimal("10000"), Decimal("8765.43"), Decimal("-12.3"), zero, zero, zero, zero,
        day_pnl_pct=Decimal("-0.123"), exposure=Decimal("1234"),
    )  # fmt: skip
    text = money_text(account, palette)
    assert text.plain == "eq 10,000.00 USDT  day -12.30 (-0.12%)  exp 1,234.00"
    day = text.plain.index("-12.30")
    assert [s.style for s in text.spans if s.start == day] == [palette.down]
    one = Decimal(1)
    gain = AccountView("USDT", one, one, one, zero, zero, zero, zero, day_pnl_pct=one)
    up = money_text(gain, palette)
    assert [s.style for s in up.spans if s.start == up.plain.index("+1.00")] == [palette.up]


def test_money_is_written_in_the_quote_assets_own_unit() -> None:
    """Issue 17: the won has no minor unit; bitcoin has eight places."""
    palette = Palette.from_variables(TRADING_VARIABLE_DEFAULTS)
    zero = Decimal(0)
    won = AccountView(
        "KRW", Decimal("10000000"), zero, Decimal("-12345.6"), zero, zero, zero, zero,
        day_pnl_pct=Decimal("-0.123"), exposure=Decimal("1234567.8"),
    )  # fmt: skip
    assert (
        money_text(won, palette).plain == "eq 10,000,000 KRW  day -12,346 (-0.12%)  exp 1,234,568"
    )
    assert (quote_places("BTCKRW"), quote_places("ETHBTC"), quote_places("BTCUSDT")) == (0, 8, 2)
    assert quote_places("KRW") == 2  # a bare asset name is no symbol


@pytest.mark.parametrize(("columns", "rows", "lines"), SIZES)
async def test_header_shows_the_money_beside_the_trading_state(
    cockpit: Make, columns: int, rows: int, lines: int
) -> None:
    c = cockpit()
    async with c.app.run_test(size=(columns, rows)) as pilot:
        await market_ready(pilot, c)
        money = ("eq 10,000.00 USDT", "day +0.00 (+0.00%)", "exp 0.00", "sim 0.0s")
        await wait_for(pilot, lambda: all(m in "\n".join(header(c)) for m in money), "money")
        shown = header(c)
        assert len(shown) == lines
        for part in ("PAPER", "REDUCING: engine not running", "online", "12:00:00 UTC"):
            assert part in shown[0], (part, shown)
        assert "…" not in "\n".join(shown)  # nothing cut


@pytest.mark.parametrize(("columns", "rows", "lines"), SIZES)
async def test_a_fill_moves_the_exposure_on_the_header(
    cockpit: Make, columns: int, rows: int, lines: int
) -> None:
    c = fast_market(cockpit)
    async with c.app.run_test(size=(columns, rows)) as pilot:
        await market_ready(pilot, c, settled=False)
        assert "exp 0.00" in "\n".join(header(c))
        await start_trading(pilot, c)
        await freeze_market_when(pilot, c, lambda s: bool(s.positions), "a position")
        await wait_for(pilot, lambda: settled(c), "the frozen market on screen")
        snapshot = c.trader.snapshot()
        account = snapshot.account
        held = sum(abs(v.position.quantity) * v.position.mark_price for v in snapshot.positions)
        assert held > 0 and account.exposure == held
        wanted = (
            f"eq {account.equity:,.2f} USDT",
            f"day {account.day_pnl:+,.2f} ({account.day_pnl_pct:+.2f}%)",
            f"exp {held:,.2f}",
        )
        # Shown, and laid out (a wider text is relaid out just after the repaint).
        await wait_for(pilot, lambda: all(w in "\n".join(header(c)) for w in wanted), "money")
        assert len(header(c)) == lines
        assert "ACTIVE" in header(c)[0]
        assert "…" not in "\n".join(header(c))
        # In every shipped theme the day is coloured by its sign, from that theme.
        assert account.day_pnl != 0
        money = c.app.query_one("#status-bar #money", Static)
        for theme in SHIPPED:
            c.app.theme = theme
            palette = c.app.trader_palette
            want = palette.up if account.day_pnl > 0 else palette.down

            def coloured(want: str = want) -> bool:
                content = money.content
                return isinstance(content, Text) and want in {s.style for s in content.spans}

            await wait_for(pilot, coloured, f"the day PnL coloured in {theme}")
            assert f"exp {held:,.2f}" in "\n".join(header(c)), theme


@pytest.mark.parametrize(("columns", "rows", "lines"), SIZES)
async def test_a_kill_reason_shows_in_full_and_the_clock_gives_up_its_seconds(
    cockpit: Make, columns: int, rows: int, lines: int
) -> None:
    c = cockpit()
    async with c.app.run_test(size=(columns, rows)) as pilot:
        await market_ready(pilot, c)
        await pilot.press("k")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: c.trader.snapshot().kill_switch_active, "kill active")
        headline = c.trader.snapshot().trading_state
        assert headline == "HALTED: kill switch: tui: kill switch pressed (+1)"  # +IDLE
        if columns >= 160:
            state, clock = headline, "online  12:00:00 UTC"
        else:  # the seconds made way first, then the reason lost only its last word
            state, clock = "HALTED: kill switch: tui: kill switch pressed…", "online  12:00 UTC"
        await wait_for(
            pilot,
            lambda: f" {state} " in header(c)[0] and header(c)[0].rstrip().endswith(clock),
            "the kill on the header",
        )
        shown = header(c)
        assert len(shown) == lines
        assert "eq 10,000.00 USDT  day +0.00 (+0.00%)  exp 0.00" in "\n".join(shown)


@pytest.mark.parametrize(("columns", "rows", "lines"), SIZES)
async def test_after_a_kill_that_closes_the_header_says_flat_verified_first(
    cockpit: Make, columns: int, rows: int, lines: int
) -> None:
    """Issue #13 item 5: the venue read back after the kill, on the always-visible line."""
    c = cockpit(KILL_VERIFY_EVERY_S="0.05")
    async with c.app.run_test(size=(columns, rows)) as pilot:
        await market_ready(pilot, c)
        await c.trader.kill(close_positions=True)
        await wait_for(pilot, lambda: " FLAT (verified 12:00:00) · HALTED" in header(c)[0],
                       "the verdict on the header")  # fmt: skip
        assert c.trader.snapshot().flat_proof == "FLAT (verified 12:00:00)"
        assert len(header(c)) == lines


@pytest.mark.parametrize(("columns", "rows", "lines"), SIZES)
async def test_the_header_names_the_venue(
    cockpit: Make, columns: int, rows: int, lines: int
) -> None:
    """Issue 17: on one line the venue stands beside the mode; on two (narrow) the feed
    names it on the second."""
    c = cockpit()
    async with c.app.run_test(size=(columns, rows)) as pilot:
        await market_ready(pilot, c)
        assert c.trader.snapshot().venue == "sim"
        shown = header(c)
        assert len(shown) == lines
        if lines == 1:
            assert shown[0].lstrip().startswith("PAPER · sim  IDLE"), shown
        else:
            assert shown[0].lstrip().startswith("PAPER  IDLE") and " sim " in shown[1], shown


@pytest.mark.parametrize(
    ("values", "caption"),
    [
        ({"SYMBOLS": "BTCUSDT"}, "Binance"),
        ({"SYMBOLS": "BTCUSDT", "MARKET_TYPE": "futures"}, "Binance USD-M"),
        ({"SYMBOLS": "BTCKRW", "QUOTE_ASSET": "KRW", "VENUE": "upbit"}, "Upbit"),
    ],
)
def test_each_venue_has_its_caption(values: dict[str, str], caption: str) -> None:
    settings = load_settings(_env_file=None, **values)
    assert venue_caption(settings, simulated=False) == caption
    assert venue_caption(settings, simulated=True) == "sim"
