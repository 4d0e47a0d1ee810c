"""Themes are data: the shipped files validate, a bad file is reported and the app falls
back to the default with a notification, NO_COLOR selects the monochrome theme, and the
stylesheet carries no colour of its own."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.color import Color
from tui_support import Cockpit, Recorder, market_ready

from tui_trader.tui.themes import (
    TRADING_VARIABLE_DEFAULTS,
    load_theme_file,
    load_themes,
    themes_dir,
)

Make = Callable[..., Cockpit]
SHIPPED = ("trader-dark", "trader-light", "trader-mono")


def test_shipped_themes_are_found_and_valid() -> None:
    assert themes_dir() == Path(__file__).resolve().parents[2] / "themes"
    loaded = load_themes()
    assert loaded.problems == ()
    assert loaded.names == SHIPPED
    for theme in loaded.themes:
        assert set(TRADING_VARIABLE_DEFAULTS) <= set(theme.variables)
    dark = next(t for t in loaded.themes if t.name == "trader-dark")
    assert dark.variables["price-up"] != dark.variables["price-down"]


def test_the_monochrome_theme_has_no_hue() -> None:
    mono = load_theme_file(themes_dir() / "trader-mono.toml")
    colours = [mono.primary, mono.background, mono.foreground, *mono.variables.values()]
    for colour in colours:
        assert colour is not None
        red, green, blue = Color.parse(colour).rgb
        assert red == green == blue, colour


def test_stylesheet_uses_theme_variables_only() -> None:
    tcss = (Path(__file__).resolve().parents[2] / "tui_trader/tui/app.tcss").read_text()
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(", tcss)
    for name in ("$price-up", "$live-mode", "$severity-critical"):
        assert name in tcss


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name = 'bad'\ndark = true\n[colors\n", "cannot read theme"),
        ("name = 'bad'\n[colors]\nprimary = 'not-a-colour'\n[variables]\n", "not a colour"),
        ("name = 'bad'\n[colors]\nprimary = '#ffffff'\n[variables]\n", "missing trading colours"),
        ("name = 'other'\n" + "[colors]\nprimary = '#ffffff'\n", "does not match the file name"),
        ("name = 'bad'\nsparkle = 1\n[colors]\nprimary = '#fff'\n", "sparkle"),
    ],
)
def test_a_bad_theme_file_is_reported_with_the_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    (tmp_path / "bad.toml").write_text(text)
    loaded = load_themes((themes_dir(), tmp_path))
    assert loaded.names == SHIPPED
    assert [p.path.name for p in loaded.problems] == ["bad.toml"]
    assert reason in loaded.problems[0].message


def _user_theme(data_dir: Path, name: str, body: str) -> None:
    (data_dir / "themes").mkdir(parents=True, exist_ok=True)
    (data_dir / "themes" / f"{name}.toml").write_text(body)


async def test_broken_chosen_theme_falls_back_to_default_with_notice(
    cockpit: Make, tmp_path: Path
) -> None:
    _user_theme(tmp_path, "mine", "name = 'mine'\n[colors]\nprimary = 'purple-ish'\n")
    c, seen = cockpit(theme="mine"), Recorder()
    async with c.app.run_test(size=(80, 24), message_hook=seen) as pilot:
        await market_ready(pilot, c)
        assert c.app.theme == "trader-dark"
        assert any(
            "mine.toml" in m and "not a colour" in m for m in seen.titled("Theme file ignored")
        )
        assert seen.titled("Theme") == ["Theme 'mine' is not available; using trader-dark."]


async def test_an_operator_theme_in_the_data_dir_can_be_chosen(
    cockpit: Make, tmp_path: Path
) -> None:
    body = (themes_dir() / "trader-light.toml").read_text().replace("trader-light", "mine")
    _user_theme(tmp_path, "mine", body.replace('price-up = "#1a7f37"', 'price-up = "#123456"'))
    c = cockpit(theme="mine")
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        assert c.app.theme == "mine"
        assert c.app.theme_variables["price-up"] == "#123456"
        assert c.app.trader_palette.up == "#123456"


async def test_setting_chooses_the_theme_and_no_color_forces_mono(
    cockpit: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = cockpit(THEME="trader-light")
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        assert c.app.theme == "trader-light"
    monkeypatch.setenv("NO_COLOR", "1")
    c = cockpit(theme="trader-light")
    async with c.app.run_test(size=(80, 24)) as pilot:
        await market_ready(pilot, c)
        assert c.app.theme == "trader-mono"
