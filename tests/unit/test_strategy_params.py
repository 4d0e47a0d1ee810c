"""Strategy parameter files and key=value overrides."""

from decimal import Decimal
from pathlib import Path

import pytest

from tui_trader.strategies import StrategyParamError, create_strategy, load_strategy_params
from tui_trader.strategies.params import parse_override


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
