"""Strategy parameters in YAML as well as TOML (the source platform keeps them in YAML):
the same validation, the file and line of a syntax error, one file per strategy and
folder, and `run` / `backtest` reading it through the one resolution."""

from pathlib import Path

import pytest

from tests.trader_support import make_settings
from tui_trader.config import ConfigError, with_strategy_params
from tui_trader.strategies import StrategyParamError, load_strategy_params


def put(folder: Path, filename: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_a_yaml_file_gives_the_parameters_with_defaults_filled_in(
    tmp_path: Path, suffix: str
) -> None:
    put(
        tmp_path,
        f"conservative{suffix}",
        "# tuned on 2026 data\nfast_period: 5\nmax_atr_pct: 2.5\n",
    )
    params = load_strategy_params("conservative", [tmp_path], ["fast_period=7"])
    assert (params["fast_period"], params["max_atr_pct"], params["slow_period"]) == (7, 2.5, 21)


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = put(tmp_path, "rsi.yaml", "period: 9\noversold: [20\n")
    with pytest.raises(StrategyParamError, match=rf"{path}, line \d+: invalid YAML"):
        load_strategy_params("rsi", [tmp_path])


@pytest.mark.parametrize("text", ["- period\n- 9\n", "just words\n", "1: 9\n"])
def test_yaml_that_is_not_names_and_values_is_refused(tmp_path: Path, text: str) -> None:
    put(tmp_path, "rsi.yaml", text)
    with pytest.raises(StrategyParamError, match="expected parameter names and values"):
        load_strategy_params("rsi", [tmp_path])


def test_yaml_values_are_validated_like_toml_ones(tmp_path: Path) -> None:
    put(tmp_path, "rsi.yaml", "period: lots\n")
    with pytest.raises(StrategyParamError, match="period"):
        load_strategy_params("rsi", [tmp_path])
    put(tmp_path, "rsi.yaml", "perod: 9\n")
    with pytest.raises(StrategyParamError, match="unknown parameter 'perod'"):
        load_strategy_params("rsi", [tmp_path])


def test_an_empty_yaml_file_means_the_defaults(tmp_path: Path) -> None:
    put(tmp_path, "rsi.yml", "")
    assert load_strategy_params("rsi", [tmp_path]) == load_strategy_params("rsi", [])


def test_toml_and_yaml_for_one_strategy_in_one_folder_is_ambiguous(tmp_path: Path) -> None:
    put(tmp_path, "rsi.toml", "period = 9\n")
    put(tmp_path, "rsi.yaml", "period: 7\n")
    with pytest.raises(StrategyParamError, match="two parameter files for rsi; keep one"):
        load_strategy_params("rsi", [tmp_path])


def test_python_tags_are_not_loaded(tmp_path: Path) -> None:
    put(tmp_path, "rsi.yaml", "period: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(StrategyParamError, match="invalid YAML"):
        load_strategy_params("rsi", [tmp_path])


def test_run_reads_the_yaml_file_from_the_data_dir(tmp_path: Path) -> None:
    put(tmp_path / "strategies", "rsi.yaml", "period: 11\n")
    settings = make_settings(tmp_path, strategy="rsi")
    assert with_strategy_params(settings, {}).strategy_params["period"] == 11
    put(tmp_path / "strategies", "rsi.yaml", "period: [\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        with_strategy_params(settings, {})
