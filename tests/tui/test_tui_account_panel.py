"""Issue #14 item 11: what the engine is doing is on the Account panel: failures counted
against the limit that means ERROR, the last error, and every asset held (quote first,
with what open orders lock; a fill adds the bought asset)."""

from collections.abc import Callable

from test_tui_trading import fast_market, freeze_market_when
from tui_support import Cockpit, market_ready, screen_plain, start_trading, wait_for

Make = Callable[..., Cockpit]


def account_lines(c: Cockpit) -> list[str]:
    """The Account panel's part of each screen line (it sits right of Positions)."""
    return [line.split("││")[-1] for line in screen_plain(c.app).splitlines() if "││" in line]


async def test_each_asset_held_has_its_own_row(cockpit: Make) -> None:
    c = fast_market(cockpit)
    async with c.app.run_test(size=(160, 48)) as pilot:
        await market_ready(pilot, c, settled=False)
        assert any(line.split()[:2] == ["USDT", "10000"] for line in account_lines(c) if line)
        await start_trading(pilot, c)
        await freeze_market_when(pilot, c, lambda s: bool(s.positions), "a position")
        [row] = c.trader.snapshot().positions
        base = row.position.symbol.removesuffix("USDT")
        assets = [b.asset for b in c.trader.snapshot().account.balances]
        assert assets[0] == "USDT" and base in assets
        await wait_for(
            pilot,
            lambda: any(line.split()[:1] == [base] for line in account_lines(c)),
            f"a {base} row in the Account panel",
        )


def failures_shown(c: Cockpit, count: int) -> bool:
    return any(line.split()[:4] == ["Failures", str(count), "of", "3"] for line in account_lines(c))


async def test_failures_count_toward_the_limit_and_the_last_error_shows(cockpit: Make) -> None:
    c = cockpit()
    async with c.app.run_test(size=(160, 48)) as pilot:
        await market_ready(pilot, c)
        assert failures_shown(c, 0)
        c.trader.count_failure("broker", "place BTCUSDT: 503 [b]busy[/]")
        await wait_for(pilot, lambda: failures_shown(c, 1), "one failure of three")
        [error] = [line for line in account_lines(c) if line.strip().startswith("Last error")]
        assert "place BTCUSDT: 503 [b…" in error  # literal, cut to its column, visibly
