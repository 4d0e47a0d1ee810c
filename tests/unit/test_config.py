import ast
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, get_args, get_origin

import pytest
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from tui_trader.config import (
    MINUTES_PER_YEAR,
    ConfigError,
    Settings,
    load_group,
    load_settings,
)
from tui_trader.known_settings import (
    SETTINGS_GROUPS,
    closest_name,
    env_name,
    known_names,
    read_env_file,
    unknown_lookalikes,
)
from tui_trader.llm.settings import LLMSettings, load_llm_settings
from tui_trader.ops.settings import OpsSettings, load_ops_settings

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


# --- bounds: every number of every settings group --------------------------------------
GROUPS: list[type[BaseSettings]] = [Settings, LLMSettings, OpsSettings]
NUMBER_TYPES = (int, float, Decimal)


def kinds(field: FieldInfo) -> list[object]:
    """The field's types, looking inside `X | None` and `Annotated[X, ...]`."""
    found = []
    for kind in get_args(field.annotation) or (field.annotation,):
        found.append(get_args(kind)[0] if get_origin(kind) is Annotated else kind)
    return found


def number_fields(model: type[BaseSettings]) -> list[tuple[str, FieldInfo]]:
    return [
        (env_name(name, field.alias), field)
        for name, field in model.model_fields.items()
        if any(kind in NUMBER_TYPES for kind in kinds(field))
    ]


def constraints(field: FieldInfo) -> list[object]:
    """Ge/Le/... of the field, including those of an `Annotated[X, Field(...)] | None`."""
    found = list(field.metadata)
    for kind in get_args(field.annotation):
        for inner in getattr(kind, "__metadata__", ()):
            found += getattr(inner, "metadata", [inner])
    return found


def bounds(field: FieldInfo) -> tuple[object, object]:
    """(lower, upper) from the field's constraints, None where missing."""
    lower = upper = None
    for item in constraints(field):
        lower = getattr(item, "ge", getattr(item, "gt", lower))
        upper = getattr(item, "le", getattr(item, "lt", upper))
    return lower, upper


@pytest.mark.parametrize("model", GROUPS)
def test_every_number_has_a_lower_and_an_upper_bound(model: type[BaseSettings]) -> None:
    fields = number_fields(model)
    assert fields
    unbounded = [name for name, field in fields if None in bounds(field)]
    assert unbounded == []


FLOATS = [
    (model, name)
    for model in GROUPS
    for name, field in number_fields(model)
    if float in kinds(field)
]


@pytest.mark.parametrize(("model", "name"), FLOATS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_floats_refuse_nan_and_infinity(
    monkeypatch: pytest.MonkeyPatch, model: type[BaseSettings], name: str, value: str
) -> None:
    monkeypatch.chdir(ROOT / "tests")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=rf"^invalid setting {name}='{value}': .*finite"):
        load_group(model)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MAX_HOLDING_MINUTES", "99999999999999", "less than or equal to 527040"),
        ("SIM_SEED", "-1", "greater than or equal to 0"),
        ("PAPER_QUOTE_BALANCE", "1e40", "less than or equal to 1E+12"),
        ("PAPER_QUOTE_BALANCE", "Infinity", "finite"),
        ("JSONL_MAX_BYTES", str(2**50), "less than or equal"),
        ("VOL_MULT", "1e9", "less than or equal to 1000"),
        ("BALANCE_MISMATCH_TOLERANCE", "1e20", "less than or equal"),
    ],
)
def test_absurd_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_settings()


@pytest.mark.parametrize(
    ("loader", "name", "value", "expected"),
    [
        (load_llm_settings, "LLM_COOLDOWN_S", "1e300", "LLM_COOLDOWN_S='1e300'"),
        (load_llm_settings, "LLM_TIMER_S", "0", "greater than or equal to 1"),
        (load_llm_settings, "LLM_DAILY_TOKEN_BUDGET", str(10**20), "less than or equal"),
        (load_llm_settings, "LLM_COST_PER_1K_INPUT", "nan", "finite"),
        (load_llm_settings, "LLM_MAX_RETRIES", "many", "LLM_MAX_RETRIES='many'"),
        (load_ops_settings, "HEALTH_PORT", "65536", "less than or equal to 65535"),
        (load_ops_settings, "MIN_FREE_DISK_MB", str(10**12), "less than or equal"),
        (load_ops_settings, "TELEGRAM_CHAT_ID", str(10**20), "TELEGRAM_CHAT_ID="),
    ],
)
def test_llm_and_ops_groups_fail_like_the_core(
    monkeypatch: pytest.MonkeyPatch,
    loader: Callable[[], BaseSettings],
    name: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(expected)) as info:
        loader()
    assert "\n" not in str(info.value)


def test_upper_bounds_do_not_overflow_where_the_values_are_used() -> None:
    """The bounds exist so a tick never crashes: the largest allowed periods still add to
    a datetime (max holding in the exit manager, LLM cooldown and timer)."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    upper = {name: bounds(field)[1] for model in GROUPS for name, field in number_fields(model)}
    assert now + timedelta(minutes=upper["MAX_HOLDING_MINUTES"]) > now  # type: ignore[arg-type]
    assert now + timedelta(seconds=upper["LLM_COOLDOWN_S"]) > now  # type: ignore[arg-type]
    assert now + timedelta(seconds=upper["LLM_TIMER_S"]) > now  # type: ignore[arg-type]
    settings = load_settings(max_holding_minutes=upper["MAX_HOLDING_MINUTES"])
    assert settings.max_holding_minutes == MINUTES_PER_YEAR


# --- .env: unknown names, broken lines, encoding ---------------------------------------
def write_env(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / ".env"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_unknown_env_file_key_names_it_and_the_closest_known_name(tmp_path: Path) -> None:
    path = write_env(tmp_path, "# limits\nSYMBOLS=BTCUSDT\nMAX_DAILY_LOS_PCT=1\n")
    with pytest.raises(ConfigError) as info:
        read_env_file(path)
    assert str(info.value) == (
        f"{path}, line 3: unknown setting MAX_DAILY_LOS_PCT (did you mean MAX_DAILY_LOSS_PCT?)"
    )


def test_unknown_key_without_a_close_name_says_where_the_names_are(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting ZZZQQQ \(no setting .*\.env\.example"):
        read_env_file(write_env(tmp_path, "ZZZQQQ=1\n"))


@pytest.mark.parametrize(
    ("content", "line"),
    [("SYMBOLS=BTCUSDT\nMAX_OPEN_POSITIONS\n", 2), ("\n\n# x\n\nTHEME\n", 5), ("a b c\n", 1)],
)
def test_line_without_equals_names_file_and_line(tmp_path: Path, content: str, line: int) -> None:
    path = write_env(tmp_path, content)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}, line {line}: expected KEY"):
        read_env_file(path)


def test_env_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = write_env(tmp_path, b"SYMBOLS=BTCUSDT\n\nTHEME=caf\xe9\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}, line 3: not UTF-8"):
        read_env_file(path)


def test_settings_loader_turns_a_non_utf8_env_file_into_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_env(tmp_path, b"THEME=caf\xe9\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="cannot read the settings"):
        load_settings()


def test_documented_names_secrets_and_dotenv_syntax_are_accepted(tmp_path: Path) -> None:
    example = (ROOT / ".env.example").read_text()
    lines = [line[2:] for line in example.splitlines() if re.match(r"# [A-Z][A-Z0-9_]*=", line)]
    extra = ["export BINANCE_API_KEY=k", "BINANCE_TESTNET_API_SECRET='s' # comment",
             "OPENAI_API_KEY=sk", "TELEGRAM_BOT_TOKEN=t", "SLACK_WEBHOOK_URL=https://x",
             "llm_model = gpt", 'D="multi\nline"'.replace("D", "LLM_MODEL")]  # fmt: skip
    values = read_env_file(write_env(tmp_path, "\n".join(lines + extra) + "\n"))
    assert values["MAX_DAILY_LOSS_PCT"] == "5"
    assert values["BINANCE_API_KEY"] == "k" and values["LLM_MODEL"] == "multi\nline"
    assert read_env_file(tmp_path / "missing") == {}


def test_every_settings_class_in_the_package_is_in_the_registry() -> None:
    """Names known to any settings group are known: a new BaseSettings class must be
    listed in SETTINGS_GROUPS, or its names would be refused in .env."""
    defined = set()
    for path in (ROOT / "tui_trader").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", "") == "BaseSettings" for base in node.bases
            ):
                defined.add(node.name)
    assert defined == {group.__name__ for group in SETTINGS_GROUPS}


def test_known_names_come_from_every_group_and_the_secrets() -> None:
    names = known_names()
    assert {"MAX_DAILY_LOSS_PCT", "TUI_TRADER_DATA_DIR", "LLM_TIMEOUT_S", "HEALTH_PORT"} <= names
    assert {"BINANCE_API_KEY", "BINANCE_FUTURES_API_SECRET", "OPENAI_API_KEY"} <= names
    assert "DATA_DIR" not in names
    assert closest_name("LLM_TIMOUT_S") == "LLM_TIMEOUT_S"
    assert closest_name("max_daily_los_pct") == "MAX_DAILY_LOSS_PCT"
    assert closest_name("QQQQ") is None


@pytest.mark.parametrize("name", ["MAX_DAILY_LOS_PCT", "SIM_SPEEED", "NOTIFY_EVERYTHING", "SYMBOL"])
def test_settings_like_environment_variables_are_found(name: str) -> None:
    env = {name: "1", "HOME": "/h", "PATH": "/bin", "EDITOR": "vi", "MAX_OPEN_POSITIONS": "2"}
    assert [found for found, _close in unknown_lookalikes(env)] == [name]


def test_ordinary_environment_is_not_flagged() -> None:
    import os

    ours = {k: v for k, v in os.environ.items() if k not in known_names()}
    ordinary = {"HOME": "/h", "TERM": "xterm", "LANG": "C", "SHELL": "/bin/sh", "USER": "u",
                "TMUX": "/tmp/t", "SSH_CLIENT": "x", "VIRTUAL_ENV": "/v", "lowercase_x": "1",
                "XDG_DATA_HOME": "/d", "PYTHONPATH": ".", "LOGNAME": "u"}  # fmt: skip
    assert unknown_lookalikes({**ours, **ordinary}) == []
