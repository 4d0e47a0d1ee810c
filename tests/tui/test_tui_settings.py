"""The settings screen (key e), driven with keys at 80x24: it lists every non-secret
setting with its source, edits `.env` through start-up's validation, and never shows a
secret."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Input, Static
from tui_support import Cockpit, engine_state, market_ready, screen_plain, wait_for

from tui_trader.domain.enums import EngineState
from tui_trader.secrets.env import is_secret_name
from tui_trader.tui.modals.kill import KillScreen
from tui_trader.tui.modals.setting_edit import EditSettingScreen
from tui_trader.tui.modals.settings import SettingsScreen, SettingsTable

Make = Callable[..., Cockpit]
SECRET = "k3yk3yk3yk3yk3y"
ENV = f"# mine\nSYMBOLS=BTCUSDT,ETHUSDT\nBINANCE_API_KEY={SECRET}\n"


def env_file(tmp_path: Path, text: str = ENV) -> Path:
    path = tmp_path / ".env"
    path.write_text(text)
    path.chmod(0o600)
    return path


async def open_settings(pilot: Pilot[Any], c: Cockpit) -> SettingsScreen:
    await market_ready(pilot, c, settled=False)
    await pilot.press("e")
    screen = c.app.screen
    assert isinstance(screen, SettingsScreen)
    await wait_for(pilot, lambda: screen.listing is not None, "the settings listed")
    return screen


def cells(screen: SettingsScreen, name: str) -> list[str]:
    table = screen.query_one(SettingsTable)
    return [cell.plain for cell in table.get_row(name)]


async def select(pilot: Pilot[Any], screen: SettingsScreen, name: str) -> None:
    table = screen.query_one(SettingsTable)
    table.move_cursor(row=table.get_row_index(name))
    await pilot.pause()


async def edit(pilot: Pilot[Any], c: Cockpit, screen: SettingsScreen, name: str) -> Input:
    await select(pilot, screen, name)
    await pilot.press("enter")
    assert isinstance(c.app.screen, EditSettingScreen)
    field = c.app.screen.query_one("#setting-value", Input)
    assert c.app.focused is field
    return field


async def type_value(pilot: Pilot[Any], field: Input, text: str) -> None:
    field.value = ""
    await pilot.press(*text)
    await pilot.press("enter")


def note(screen: SettingsScreen) -> str:
    content = screen.query_one("#settings-note", Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def test_e_lists_every_group_with_its_source_and_no_secret(
    cockpit: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIM_SEED", "11")
    c = cockpit(env_file=env_file(tmp_path))
    async with c.app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, c)
        assert cells(screen, "SYMBOLS") == ["SYMBOLS", "BTCUSDT,ETHUSDT", ".env", "restart"]
        assert cells(screen, "SIM_SEED") == ["SIM_SEED", "11", "environment", "restart"]
        assert cells(screen, "FEE_RATE")[2:] == ["default", "restart"]
        assert cells(screen, "THEME")[3] == "now"
        table = screen.query_one(SettingsTable)
        rows = {str(key.value) for key in table.rows}
        assert {"group:LLM advisor", "group:notifications and ops", "LLM_MODE"} <= rows
        assert not any(is_secret_name(row) for row in rows) and "BINANCE_API_KEY" not in rows
        shown = screen_plain(c.app)
        assert "MARKET / RISK / STRATEGY" in shown and SECRET not in shown
        await select(pilot, screen, "SIM_SEED")
        shown = " ".join(screen_plain(c.app).split())
        assert "set in the environment, which wins over .env: unset it to apply" in shown
        await pilot.press("enter")
        warning = c.app.screen.query_one("#setting-override", Static)
        assert "takes effect only once SIM_SEED is unset" in str(warning.render())
        await pilot.press("escape")
        await pilot.press("escape")
        assert not isinstance(c.app.screen, SettingsScreen)


async def test_a_setting_the_strategy_file_chooses_is_marked_with_its_value(
    cockpit: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen lists the value the next start uses: for the strategy, its own file's."""
    data = tmp_path / "next-start"
    (data / "strategies").mkdir(parents=True)
    (data / "strategies" / "ema_cross.toml").write_text('[settings]\nsizing = "atr"\n')
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(data))
    c = cockpit(env_file=env_file(tmp_path, "STRATEGY=ema_cross\n"))
    async with c.app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, c)
        assert cells(screen, "SIZING") == ["SIZING", "fixed", "strategy", "restart"]
        assert cells(screen, "ATR_RISK_PCT")[2] == "default"
        await select(pilot, screen, "SIZING")
        shown = " ".join(screen_plain(c.app).split())
        assert "The strategy runs with SIZING=atr from the [settings] of" in shown
        await pilot.press("enter")
        warning = str(c.app.screen.query_one("#setting-override", Static).render())
        assert "SIZING=atr" in warning and "applies to other strategies" in warning
        await pilot.press("escape", "escape")


async def test_a_refused_value_is_shown_and_a_good_one_saved(cockpit: Make, tmp_path: Path) -> None:
    path = env_file(tmp_path)
    c = cockpit(env_file=path)
    async with c.app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, c)
        field = await edit(pilot, c, screen, "SYMBOLS")
        assert field.value == "BTCUSDT,ETHUSDT"
        await type_value(pilot, field, "BTCUSDT,BNBEUR")
        refused = c.app.screen.query_one("#refused", Static)
        await wait_for(pilot, lambda: "BNBEUR is not quoted" in str(refused.render()), "refusal")
        assert path.read_text() == ENV  # nothing written
        await type_value(pilot, field, "BTCUSDT,SOLUSDT")
        await wait_for(pilot, lambda: c.app.screen is screen, "the editor closed")
        assert path.read_text() == ENV.replace("ETHUSDT", "SOLUSDT")
        assert note(screen) == "SYMBOLS saved to .env — restart to apply"
        await wait_for(pilot, lambda: cells(screen, "SYMBOLS")[1] == "BTCUSDT,SOLUSDT", "reload")
        assert cells(screen, "SYMBOLS")[3] == "pending"
        assert c.settings.symbols == ("BTCUSDT", "ETHUSDT")  # the running trader: unchanged


async def test_the_theme_applies_at_once_and_k_types_a_letter(
    cockpit: Make, tmp_path: Path
) -> None:
    path = env_file(tmp_path, "")
    c = cockpit("trader-light", env_file=path)
    async with c.app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, c)
        field = await edit(pilot, c, screen, "THEME")
        await type_value(pilot, field, "trader-dark")
        await wait_for(pilot, lambda: c.app.screen is screen, "the editor closed")
        assert c.app.theme == "trader-dark"
        assert path.read_text() == "THEME=trader-dark\n"
        assert note(screen) == "THEME saved to .env — applied now"


async def test_d_resets_to_the_default_by_removing_the_line(cockpit: Make, tmp_path: Path) -> None:
    path = env_file(tmp_path)
    c = cockpit(env_file=path)
    async with c.app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, c)
        await select(pilot, screen, "SYMBOLS")
        await pilot.press("d")
        await wait_for(pilot, lambda: cells(screen, "SYMBOLS")[2] == "default", "reload")
        assert path.read_text() == f"# mine\nBINANCE_API_KEY={SECRET}\n"
        await select(pilot, screen, "FEE_RATE")
        await pilot.press("d")
        assert note(screen) == "FEE_RATE: .env has no line for it; nothing to reset"


async def test_a_malformed_env_is_shown_and_never_written(cockpit: Make, tmp_path: Path) -> None:
    path = env_file(tmp_path, "SYMBOLS=BTCUSDT\nnot a setting line\n")
    c = cockpit(env_file=path)
    async with c.app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, c)
        shown = " ".join(screen_plain(c.app).split())  # the line wraps at 80 columns
        assert "start-up refuses .env (values shown without it; nothing is saved)" in shown
        assert ".env, line 2: expected KEY=VALUE" in shown
        await select(pilot, screen, "FEE_RATE")
        await pilot.press("enter")
        assert c.app.screen is screen
        assert note(screen).startswith("fix .env first:")
        assert path.read_text() == "SYMBOLS=BTCUSDT\nnot a setting line\n"


async def test_trading_keys_rest_under_settings_but_the_kill_key_works(
    cockpit: Make, tmp_path: Path
) -> None:
    c = cockpit(env_file=env_file(tmp_path))
    async with c.app.run_test(size=(80, 24)) as pilot:
        await open_settings(pilot, c)
        await pilot.press("s")
        await pilot.pause(0.2)
        assert engine_state(c) is EngineState.IDLE
        await pilot.press("k")
        assert isinstance(c.app.screen, KillScreen)
