"""Strategy parameter files: `<name>.toml` (or `<name>.yaml` / `.yml`, as the source
platform keeps them) plus `key=value` overrides, validated.

A file holds the parameters as top-level keys, e.g. for conservative:
    fast_period = 9          # TOML      fast_period: 9       # YAML
    max_atr_pct = 2.5                    max_atr_pct: 2.5
Overrides are TOML values (9, 0.5, true, "x", {rsi = 1.0}); a bare word is a string,
or a mapping already parsed (STRATEGY_PARAMS for `run`).

A `[settings]` table (YAML: a `settings:` mapping) in the same file chooses this
strategy's own sizing, exits and protections (config.py says which settings it may
set), e.g. `[settings]` / `sizing = "atr"` / `protect_cooldown_min = 30`."""

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tui_trader.strategies.base import Strategy, StrategyParamError
from tui_trader.strategies.registry import strategy_class

_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$")


Overrides = Sequence[str] | Mapping[str, Any]


SUFFIXES = (".toml", ".yaml", ".yml")
# The table of a parameter file that holds settings, not parameters: no strategy may
# have a parameter of this name.
SETTINGS_TABLE = "settings"


def strategy_dirs(data_dir: Path) -> list[Path]:
    """Where `NAME.toml` / `NAME.yaml` is looked for, first folder with one wins."""
    return [data_dir / "strategies", Path("strategies")]


def params_file(name: str, search_dirs: Sequence[Path]) -> Path | None:
    """The parameter file of `name` in the first folder that has one; two in the same
    folder (NAME.toml and NAME.yaml) is a StrategyParamError: which one would win?"""
    for folder in search_dirs:
        found = [folder / f"{name}{suffix}" for suffix in SUFFIXES]
        found = [path for path in found if path.is_file()]
        if len(found) > 1:
            names = " and ".join(str(path) for path in found)
            raise StrategyParamError(f"{names}: two parameter files for {name}; keep one")
        if found:
            return found[0]
    return None


def resolve_strategy_params(name: str, data_dir: Path, overrides: Overrides) -> dict[str, Any]:
    """The one parameter resolution of `run` and `backtest`: NAME.toml from
    `strategy_dirs(data_dir)`, then the overrides (STRATEGY_PARAMS or --param)."""
    return load_strategy_params(name, strategy_dirs(data_dir), overrides)


def load_strategy_params(
    name: str, search_dirs: Sequence[Path], overrides: Overrides = ()
) -> dict[str, Any]:
    """The effective parameters of strategy `name` (defaults filled in): the first
    `<name>.toml` found in `search_dirs`, then each override. Raises StrategyParamError
    naming the file and line of a TOML error, or the unknown key, or the bad value."""
    cls = strategy_class(name)
    values: dict[str, Any] = {}
    path = params_file(name, search_dirs)
    if path is not None:
        values = read_params_file(path)
        values.pop(SETTINGS_TABLE, None)
        for key in values:
            _check_key(cls, key, str(path))
    for key, value, source in _override_items(overrides):
        _check_key(cls, key, source)
        values[key] = value
    return cls.parse_params(values).model_dump()


def strategy_file_settings(name: str, data_dir: Path) -> tuple[dict[str, Any], str]:
    """The `[settings]` table of strategy `name`'s parameter file ({} without one) and
    the file it came from, for messages."""
    path = params_file(name, strategy_dirs(data_dir))
    if path is None:
        return {}, ""
    table = read_params_file(path).get(SETTINGS_TABLE, {})
    if not isinstance(table, dict) or not all(isinstance(key, str) for key in table):
        raise StrategyParamError(f"{path}: [{SETTINGS_TABLE}] must be a table of name = value")
    return table, str(path)


def read_params_file(path: Path) -> dict[str, Any]:
    return _read_toml(path) if path.suffix == ".toml" else read_yaml(path)


def _override_items(overrides: Overrides) -> Iterator[tuple[str, Any, str]]:
    """(key, value, where it came from) for each override."""
    if isinstance(overrides, Mapping):
        for key, value in overrides.items():
            yield str(key), value, "STRATEGY_PARAMS"
        return
    for item in overrides:
        key, value = parse_override(item)
        yield key, value, f"override {item!r}"


def parse_override(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key or "\n" in item:
        raise StrategyParamError(f"override {item!r}: expected key=value, e.g. fast_period=9")
    try:
        return key, tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return key, raw  # a bare word such as mode=fast


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StrategyParamError(f"{path}: cannot read ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _POSITION.search(message)
        line = found.group(1) if found and found.group(1) else str(text.count("\n") + 1)
        detail = _POSITION.sub("", message)
        raise StrategyParamError(f"{path}, line {line}: invalid TOML: {detail}") from None


def _check_key(cls: type[Strategy], key: str, source: str) -> None:
    accepted = cls.Params.model_fields
    if key not in accepted:
        raise StrategyParamError(
            f"{source}: {cls.name}: unknown parameter {key!r} (accepted: {', '.join(accepted)})"
        )


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML parameter file: one mapping of names to values (safe loading only)."""
    import yaml  # only when a YAML file is there: nothing else loads it at start

    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StrategyParamError(f"{path}: cannot read ({exc})") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StrategyParamError(f"{path}{where}: invalid YAML: {problem}") from None
    if loaded is None:
        return {}  # an empty file: the defaults
    if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
        raise StrategyParamError(f"{path}: expected parameter names and values (a mapping)")
    return loaded
