import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from tui_trader.config import ConfigError, Settings, load_settings
from tui_trader.llm.settings import LLMSettings
from tui_trader.ops.settings import OpsSettings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_paper_spot_and_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    settings = load_settings()
    assert settings.trading_mode == "paper"
    assert settings.market_type.value == "spot"
    assert settings.allow_market_orders is False
    assert settings.max_position_pct == Decimal("10")
    assert settings.fee_rate == Decimal("0.001")


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(Exception, match="frozen"):
        settings.fee_rate = Decimal("0.5")  # type: ignore[misc]


def test_env_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMBOLS", "btcusdt, solusdt")
    monkeypatch.setenv("STRATEGY_PARAMS", '{"fast_period": 5}')
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", "/tmp/x")
    settings = load_settings()
    assert settings.symbols == ("BTCUSDT", "SOLUSDT")
    assert settings.strategy_params == {"fast_period": 5}
    assert settings.data_path == Path("/tmp/x")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MAX_OPEN_POSITIONS", "abc", "MAX_OPEN_POSITIONS='abc'"),
        ("TRADING_MODE", "yolo", "'paper' or 'live'"),
        ("SYMBOLS", "BTC-USD", "letters and digits"),
        ("STRATEGY_PARAMS", "{bad", "JSON object"),
        ("FEE_RATE", "-1", "greater than or equal to 0"),
        ("SYMBOLS", "BTCEUR", "not quoted in QUOTE_ASSET"),
        ("MAX_LEVERAGE", "5", "FUTURES_ENABLED"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(expected)) as info:
        load_settings()
    assert "\n" not in str(info.value)


def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "MAX_DAILY_LOSS_PCT": "lots", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "tui_trader", "status"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "tui-trader: invalid setting MAX_DAILY_LOSS_PCT='lots': Input should be a valid decimal"
    )
    assert "Traceback" not in result.stderr


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("MAX_OPEN_POSITIONS=2\nSYMBOLS=ETHUSDT\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.max_open_positions == 2
    assert settings.symbols == ("ETHUSDT",)


@pytest.mark.parametrize("model", [Settings, LLMSettings, OpsSettings])
def test_env_example_documents_every_setting(model: type[BaseSettings]) -> None:
    text = (ROOT / ".env.example").read_text()
    for name, field in model.model_fields.items():
        env = field.alias or name.upper()
        assert re.search(rf"^# {env}=", text, re.M), f"{env} missing from .env.example"
