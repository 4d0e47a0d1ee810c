"""The settings screen's logic without the screen: what it lists (value, source, restart,
never a secret), and what saving does: start-up's validation, nothing written on a
refusal, every other line of `.env` kept."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_trader.app.settings_edit import Saved, save_setting
from tui_trader.app.settings_list import (
    SettingInfo,
    SettingsListing,
    editable_fields,
    list_settings,
)
from tui_trader.config import ConfigError, load_settings
from tui_trader.known_settings import known_names, read_env_file, setting_names
from tui_trader.llm.settings import load_llm_settings
from tui_trader.secrets.env import ENV_VARS

SECRETS = (
    "BINANCE_API_KEY=k3yk3yk3yk3y\nTELEGRAM_BOT_TOKEN=123456:abcdefghijklmnopqrstuvwxyz0123456\n"
)


@pytest.fixture(autouse=True)
def _clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start-up reads the process environment: only what a test sets is in it."""
    for name in known_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    yield


def row(listing: SettingsListing, name: str) -> SettingInfo:
    return next(info for info in listing.settings if info.name == name)


def env_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text)
    path.chmod(0o600)
    return path


# --- listing -------------------------------------------------------------------------
def test_every_setting_is_listed_with_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = env_file(tmp_path, "MAX_DAILY_LOSS_PCT=3\nSIM_SPEED=2\n")
    monkeypatch.setenv("SIM_SPEED", "60")
    listing = list_settings(path)
    assert {info.name for info in listing.settings} == setting_names()
    assert (
        row(listing, "MAX_DAILY_LOSS_PCT").value,
        row(listing, "MAX_DAILY_LOSS_PCT").source,
    ) == (
        "3",
        ".env",
    )
    speed = row(listing, "SIM_SPEED")
    assert (speed.value, speed.source, speed.file_value) == ("60", "environment", "2")
    fee = row(listing, "FEE_RATE")
    assert (fee.value, fee.source, fee.default) == ("0.001", "default", "0.001")
    assert listing.problem is None


def test_groups_hints_and_the_restart_flag(tmp_path: Path) -> None:
    listing = list_settings(tmp_path / ".env")  # no file: every value is its default
    assert {info.group for info in listing.settings} == {
        "market / risk / strategy",
        "LLM advisor",
        "notifications and ops",
    }
    assert row(listing, "LLM_MODE").group == "LLM advisor"
    assert row(listing, "TELEGRAM_CHAT_ID").group == "notifications and ops"
    assert row(listing, "TRADING_MODE").accepts == "one of: paper, live"
    assert row(listing, "MAX_OPEN_POSITIONS").accepts == "a whole number ≥ 1, ≤ 1000"
    assert row(listing, "PAPER_QUOTE_BALANCE").accepts == "a number ≥ 0, ≤ 1000000000000"
    assert row(listing, "TELEGRAM_CHAT_ID").accepts.startswith("a whole number ≥ -")
    assert row(listing, "NOTIFY_MIN_SEVERITY").accepts == "one of: INFO, WARNING, CRITICAL"
    # Only the theme is re-read by the running app; honest about everything else.
    assert [info.name for info in listing.settings if not info.restart] == ["THEME"]


def test_secrets_in_env_are_never_listed_nor_their_values(tmp_path: Path) -> None:
    path = env_file(tmp_path, SECRETS + "SYMBOLS=BTCUSDT\n")
    listing = list_settings(path)
    names = {info.name for info in listing.settings}
    assert not names & {name for names in ENV_VARS.values() for name in names}
    shown = repr(listing)
    assert "k3yk3y" not in shown and "abcdefghij" not in shown


def test_a_value_that_looks_like_a_secret_is_masked(tmp_path: Path) -> None:
    token_url = "https://api.telegram.org/bot123456:abcdefghijklmnopqrstuvwxyz0123456"
    listing = list_settings(env_file(tmp_path, f"TELEGRAM_API_BASE={token_url}\n"))
    base = row(listing, "TELEGRAM_API_BASE")
    assert base.masked and "abcdefghij" not in base.value


def test_a_malformed_env_is_reported_not_listed(tmp_path: Path) -> None:
    listing = list_settings(env_file(tmp_path, "SYMBOLS=BTCUSDT\nthis is not a setting\n"))
    assert listing.problem is not None and "line 2" in listing.problem
    assert row(listing, "SYMBOLS").source == "default"


# --- saving --------------------------------------------------------------------------
def test_saving_edits_the_one_line_in_place_and_keeps_the_rest(tmp_path: Path) -> None:
    before = "# my settings\n\nSYMBOLS=BTCUSDT\n" + SECRETS + "export FEE_RATE=0.002  # low\n"
    path = env_file(tmp_path, before)
    saved = save_setting(path, "SYMBOLS", " BTCUSDT,ETHUSDT ")
    assert saved == Saved(
        "SYMBOLS", "BTCUSDT,ETHUSDT", True, False, "SYMBOLS saved to .env — restart to apply"
    )
    save_setting(path, "fee_rate", "0.0005")
    assert path.read_text() == (
        "# my settings\n\nSYMBOLS=BTCUSDT,ETHUSDT\n" + SECRETS + "export FEE_RATE=0.0005\n"
    )
    assert load_settings(_env_file=path).symbols == ("BTCUSDT", "ETHUSDT")
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_new_name_is_appended_and_a_new_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    save_setting(path, "STRATEGY_PARAMS", '{"fast_period": 9}')
    save_setting(path, "LLM_MODEL", "my model's #1")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert load_settings(_env_file=path).strategy_params == {"fast_period": 9}
    assert load_llm_settings(_env_file=path).llm_model == "my model's #1"
    env_file(tmp_path, "SYMBOLS=BTCUSDT")  # no newline at the end
    path.chmod(0o640)
    save_setting(path, "QUOTE_ASSET", "USDT")
    assert path.read_text() == "SYMBOLS=BTCUSDT\nQUOTE_ASSET=USDT\n"
    assert os.stat(path).st_mode & 0o777 == 0o640  # the operator's mode is kept


def test_reset_to_default_removes_every_line_of_the_name(tmp_path: Path) -> None:
    path = env_file(tmp_path, "SIM_SPEED=2\n# keep me\nSIM_SPEED=3\nSIM_SEED=1\n")
    saved = save_setting(path, "SIM_SPEED", None)
    assert saved.note == "SIM_SPEED removed from .env (default: 1.0) — restart to apply"
    assert path.read_text() == "# keep me\nSIM_SEED=1\n"


@pytest.mark.parametrize(
    ("name", "value", "refusal"),
    [
        ("MAX_DAILY_LOSS_PCT", "300", "invalid setting MAX_DAILY_LOSS_PCT='300'"),
        ("MAX_DAILY_LOSS_PCT", "nan", "MAX_DAILY_LOSS_PCT"),
        ("TRADING_MODE", "yolo", "invalid setting TRADING_MODE='yolo'"),
        ("MAX_LEVERAGE", "3", "MAX_LEVERAGE: leverage above 1 needs FUTURES_ENABLED=true"),
        ("SYMBOLS", "BTCEUR", "BTCEUR is not quoted in QUOTE_ASSET=USDT"),
        ("STRATEGY", "nope", "unknown strategy 'nope'"),
        ("STRATEGY_PARAMS", '{"no_such_param": 1}', "no_such_param"),
        ("TELEGRAM_ENABLED", "true", "TELEGRAM_ENABLED=true needs the chat id"),
        ("LLM_TEMPERATURE", "9", "invalid setting LLM_TEMPERATURE='9'"),
        ("MAX_DAILY_LOS_PCT", "1", "unknown setting MAX_DAILY_LOS_PCT (did you mean"),
        ("NO_SUCH_THING", "1", "unknown setting NO_SUCH_THING"),
        ("BINANCE_API_KEY", "x", "BINANCE_API_KEY is a secret"),
        ("TELEGRAM_BOT_TOKEN", "1:x", "`tui-trader keys set telegram`"),
        ("SLACK_WEBHOOK_URL", "https://x", "SLACK_WEBHOOK_URL is a secret"),
        ("MY_OTHER_PASSPHRASE", "x", "is a secret"),
        ("ALPACA_API_KEY_ID", "k", "`tui-trader keys set alpaca`"),
        ("SYMBOLS", "BTCUSDT\nTRADING_MODE=live", "a value must be one line"),
        ("QUOTE_ASSET", "${HOME}", "cannot be written to .env as it is"),
    ],
)
def test_a_refused_value_leaves_the_file_untouched(
    tmp_path: Path, name: str, value: str, refusal: str
) -> None:
    before = "# mine\nMAX_DAILY_LOSS_PCT=4\n" + SECRETS
    path = env_file(tmp_path, before)
    with pytest.raises(ConfigError) as refused:
        save_setting(path, name, value)
    assert refusal in str(refused.value) and "\n" not in str(refused.value)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == [".env"]  # no temporary file left


def test_a_malformed_env_is_never_rewritten(tmp_path: Path) -> None:
    for before in ("SYMBOLS=BTCUSDT\nnot a line\n", "MAX_DAILY_LOS_PCT=1\n"):
        path = env_file(tmp_path, before)
        with pytest.raises(ConfigError, match="line"):
            save_setting(path, "SIM_SEED", "3")
        assert path.read_text() == before
    path.write_bytes(b"SYMBOLS=BTC\xffUSDT\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        save_setting(path, "SIM_SEED", "3")
    assert path.read_bytes() == b"SYMBOLS=BTC\xffUSDT\n"


def test_a_reset_that_start_up_would_refuse_is_refused(tmp_path: Path) -> None:
    before = "FUTURES_ENABLED=true\nMAX_LEVERAGE=3\n"
    path = env_file(tmp_path, before)
    with pytest.raises(ConfigError, match="needs FUTURES_ENABLED=true"):
        save_setting(path, "FUTURES_ENABLED", None)
    assert path.read_text() == before


def test_the_environment_wins_and_the_note_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIM_SPEED", "60")
    path = env_file(tmp_path, "")
    with pytest.raises(ConfigError, match="SIM_SPEED"):  # still checked, though masked
        save_setting(path, "SIM_SPEED", "-1")
    saved = save_setting(path, "SIM_SPEED", "5")
    assert saved.overridden and "the environment sets SIM_SPEED" in saved.note
    assert read_env_file(path) == {"SIM_SPEED": "5"}
    assert row(list_settings(path), "SIM_SPEED").value == "60"


def test_the_theme_applies_without_a_restart(tmp_path: Path) -> None:
    saved = save_setting(tmp_path / ".env", "THEME", "trader-light")
    assert not saved.restart and saved.note == "THEME saved to .env — applied now"


def test_a_symlinked_env_keeps_its_link(tmp_path: Path) -> None:
    real = env_file(tmp_path, "SIM_SEED=1\n").rename(tmp_path / "real.env")
    link = tmp_path / ".env"
    link.symlink_to(real)
    save_setting(link, "SIM_SEED", "2")
    assert link.is_symlink() and real.read_text() == "SIM_SEED=2\n"


def test_every_listed_setting_can_be_saved_as_shown(tmp_path: Path) -> None:
    """The value the screen shows, written back as is, passes start-up's validation."""
    path = tmp_path / ".env"
    for name, info in ((i.name, i) for i in list_settings(path).settings):
        if info.value:  # an empty default (TELEGRAM_CHAT_ID) is reset, not written
            save_setting(path, name, info.value)
    assert set(read_env_file(path)) <= set(editable_fields())
