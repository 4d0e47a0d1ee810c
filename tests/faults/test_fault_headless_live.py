"""`run --headless` with TRADING_MODE=live: never a paper run the journal calls live.
Without --i-understand-live-trading, or on the simulated market, it refuses with one line
and exit 2 before anything starts; the journal records no run."""

from pathlib import Path

import pytest

from tests.faults.support import assert_one_line_failure, clean_env, run_cli
from tests.trader_support import START, entry_groups, make_settings, running_engine
from tui_trader.runtime.build_trader import build_trader, journal_path

RUN = ("run", "--headless", "--demo", "--duration", "5")


@pytest.mark.fault("TRADING_MODE=live headless without the flag", "exit 2, one line, no run")
def test_headless_live_without_the_flag_refuses(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data", TRADING_MODE="live")
    outcome = run_cli(*RUN, env=env, cwd=tmp_path)
    assert_one_line_failure(outcome, 2, "--i-understand-live-trading", "not paper-trading")
    assert not journal_path(make_settings(tmp_path / "data")).exists()


@pytest.mark.fault("TRADING_MODE=live headless on the simulated market", "exit 2, one line")
def test_headless_live_on_the_simulated_market_refuses(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data", TRADING_MODE="live")
    outcome = run_cli(*RUN, "--i-understand-live-trading", env=env, cwd=tmp_path)
    assert_one_line_failure(outcome, 2, "live trading needs the venue's market", "--demo")


async def test_a_paper_run_under_trading_mode_live_is_journaled_as_paper(tmp_path: Path) -> None:
    """The app with TRADING_MODE=live trades paper until its live gate is passed: the
    journal says paper, so `tui-trader status` never claims live trading that is not."""
    settings = make_settings(tmp_path, trading_mode="live")
    async with running_engine(build_trader(settings, start=START, **entry_groups())) as trader:
        assert trader.snapshot().mode == "PAPER"
        await trader.parts.journal.flush()
        run = await trader.parts.journal.latest_run()
        assert run is not None and run.mode == "paper"
