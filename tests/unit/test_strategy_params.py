"""Strategy parameter files and key=value overrides."""

from decimal import Decimal
from pathlib import Path

import pytest

from tui_trader.backtest.cli import backtest_parser, backtest_settings
from tui_trader.config import ConfigError, Settings
from tui_trader.runtime.core_parts import market_parts
from tui_trader.strategies import StrategyParamError, create_strategy, load_strategy_params
from tui_trader.strategies.params import parse_override, resolve_strategy_params


def write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_file_values_with_defaults_filled_in(tmp_path: Path) -> None:
    write(tmp_path, "conservative", "fast_period = 5\nmax_atr_pct = 2.5\n")
    params = load_strategy_params("conservative", [tmp_path], [])
    assert params["fast_period"] == 5
    assert params["max_atr_pct"] == 2.5
    assert params["slow_period"] == 21  # default
    assert create_strategy("conservative", "BTCUSDT", params).params.fast_period == 5  # type: ignore[attr-defined]


def test_first_directory_with_the_file_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    write(second, "rsi", "period = 9\n")
    assert load_strategy_params("rsi", [first, second], [])["period"] == 9
    write(first, "rsi", "period = 7\n")
    assert load_strategy_params("rsi", [first, second], [])["period"] == 7


def test_overrides_apply_after_the_file(tmp_path: Path) -> None:
    write(tmp_path, "rsi", "period = 9\noversold = 20.0\n")
    params = load_strategy_params("rsi", [tmp_path], ["period=5", "overbought = 80.5"])
    assert (params["period"], params["oversold"], params["overbought"]) == (5, 20.0, 80.5)


def test_no_file_means_defaults_plus_overrides(tmp_path: Path) -> None:
    params = load_strategy_params("grid", [tmp_path / "missing"], ['quantity="0.25"', "levels=3"])
    assert params["quantity"] == Decimal("0.25")
    assert params["levels"] == 3


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("n=9", ("n", 9)),
        ("x = 0.5", ("x", 0.5)),
        ("flag=true", ("flag", True)),
        ('s="x"', ("s", "x")),
        ("mode=fast", ("mode", "fast")),  # a bare word is a string
        ("t={rsi = 1.0, macd = 2}", ("t", {"rsi": 1.0, "macd": 2})),
    ],
)
def test_override_values_are_toml_scalars(item: str, expected: tuple[str, object]) -> None:
    assert parse_override(item) == expected


def test_inline_table_override_configures_the_synthesizer(tmp_path: Path) -> None:
    params = load_strategy_params("synthesizer", [tmp_path], ["members={rsi = 1.0, macd = 2}"])
    assert params["members"] == {"rsi": 1.0, "macd": 2.0}


@pytest.mark.parametrize("item", ["period", "=5", "period=1\nx=2"])
def test_malformed_override_is_refused(item: str, tmp_path: Path) -> None:
    with pytest.raises(StrategyParamError, match="expected key=value"):
        load_strategy_params("rsi", [tmp_path], [item])


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "rsi", "period = 9\noversold = \n")
    with pytest.raises(StrategyParamError) as caught:
        load_strategy_params("rsi", [tmp_path], [])
    assert str(caught.value) == f"{path}, line 2: invalid TOML: Invalid value"


def test_toml_error_at_end_of_file_names_the_last_line(tmp_path: Path) -> None:
    path = write(tmp_path, "rsi", "period = 9\noversold")
    with pytest.raises(StrategyParamError, match=rf"^{path}, line 2: invalid TOML: Expected '='"):
        load_strategy_params("rsi", [tmp_path], [])


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "rsi", b"period = \xff\n")
    with pytest.raises(StrategyParamError, match=rf"^{path}: cannot read"):
        load_strategy_params("rsi", [tmp_path], [])


def test_unknown_key_in_file_names_key_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, "rsi", "period = 9\nperiood = 3\n")
    with pytest.raises(StrategyParamError) as caught:
        load_strategy_params("rsi", [tmp_path], [])
    assert str(caught.value) == (
        f"{path}: rsi: unknown parameter 'periood' (accepted: period, oversold, overbought)"
    )


def test_unknown_key_in_override_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        StrategyParamError, match=r"^override 'fast=3': rsi: unknown parameter 'fast'"
    ):
        load_strategy_params("rsi", [tmp_path], ["fast=3"])


def test_bad_value_names_parameter_value_and_rule(tmp_path: Path) -> None:
    write(tmp_path, "conservative", "fast_period = 0\n")
    with pytest.raises(StrategyParamError, match=r"^conservative: fast_period=0: must be >= 2$"):
        load_strategy_params("conservative", [tmp_path], [])
    with pytest.raises(StrategyParamError, match=r'^rsi: period="abc": must be an integer$'):
        load_strategy_params("rsi", [tmp_path], ["period=abc"])


def test_unknown_strategy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StrategyParamError, match="unknown strategy 'zzz'"):
        load_strategy_params("zzz", [tmp_path], [])


# --- one resolution for `run` and `backtest` ----------------------------------------------
@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder (for ./strategies) with the data dir inside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUI_TRADER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STRATEGY", "rsi")
    return tmp_path


def run_settings(*words: str) -> Settings:
    from tui_trader.cli import _settings, build_parser

    return _settings(build_parser().parse_args(["run", *words])).core


def backtest_params(*words: str) -> dict[str, object]:
    args = backtest_parser().parse_args(["--strategy", "rsi", "--data", "x.csv", *words])
    return backtest_settings(args).strategy_params


def test_run_and_backtest_read_the_same_parameter_file(workdir: Path) -> None:
    write(workdir / "data" / "strategies", "rsi", "period = 9\noversold = 25.0\n")
    write(workdir / "strategies", "rsi", "period = 5\n")  # the data dir's file wins
    expected = {"period": 9, "oversold": 25.0, "overbought": 70.0}
    assert run_settings().strategy_params == expected
    assert backtest_params() == expected
    strategy = market_parts(run_settings(), ("BTCUSDT",))["strategies"]["BTCUSDT"]
    assert strategy.params.period == 9  # type: ignore[attr-defined]


def test_the_working_folder_file_is_read_when_the_data_dir_has_none(workdir: Path) -> None:
    write(workdir / "strategies", "rsi", "period = 5\n")
    assert run_settings().strategy_params["period"] == 5
    assert backtest_params()["period"] == 5


def test_strategy_params_override_the_file_for_run_as_param_does_for_backtest(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(workdir / "strategies", "rsi", "period = 9\noversold = 25.0\n")
    monkeypatch.setenv("STRATEGY_PARAMS", '{"period": 12}')
    assert run_settings().strategy_params == {"period": 12, "oversold": 25.0, "overbought": 70.0}
    assert backtest_params("--param", "period=12") == run_settings().strategy_params


@pytest.mark.parametrize(
    ("text", "params", "message"),
    [
        ("period = \n", "{}", r"rsi.toml, line 1: invalid TOML"),
        ("periood = 3\n", "{}", r"rsi.toml: rsi: unknown parameter 'periood'"),
        ("", '{"fast": 3}', r"^STRATEGY_PARAMS: rsi: unknown parameter 'fast'"),
        ("", '{"period": 0}', r"^rsi: period=0: must be"),
    ],
)
def test_bad_parameters_stop_run_with_a_config_error(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, text: str, params: str, message: str
) -> None:
    write(workdir / "strategies", "rsi", text)
    monkeypatch.setenv("STRATEGY_PARAMS", params)
    with pytest.raises(ConfigError, match=message):
        run_settings()


def test_commands_other_than_run_do_not_read_parameter_files(workdir: Path) -> None:
    from tui_trader.cli import _settings, build_parser

    write(workdir / "strategies", "rsi", "periood = 3\n")  # `kill` must work regardless
    assert _settings(build_parser().parse_args(["kill"])).core.strategy_params == {}


def test_resolution_takes_a_mapping_or_key_value_overrides(tmp_path: Path) -> None:
    write(tmp_path / "strategies", "rsi", "period = 9\n")
    from_mapping = resolve_strategy_params("rsi", tmp_path, {"oversold": 20.0})
    from_strings = resolve_strategy_params("rsi", tmp_path, ["oversold=20.0"])
    assert from_mapping == from_strings == {"period": 9, "oversold": 20.0, "overbought": 70.0}
