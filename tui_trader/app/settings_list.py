"""Every non-secret setting with the value the next start would use, where that value
comes from, and whether the running program applies a change before a restart.

Values are shown as written (the environment's or `.env`'s text, or the default as
text), since that is what an operator edits. Secret names are never listed, and a value
that looks like a secret (a URL with a password, a pasted token) is masked."""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from tui_trader.config import ConfigError, Settings, per_strategy
from tui_trader.known_settings import SETTINGS_GROUPS, env_name, read_env_file
from tui_trader.llm.settings import LLMSettings
from tui_trader.ops.settings import OpsSettings
from tui_trader.secrets.env import is_secret_name
from tui_trader.secrets.redact import redact
from tui_trader.strategies.base import StrategyParamError
from tui_trader.strategies.params import strategy_file_settings

Source = Literal["default", ".env", "environment"]
GROUP_LABELS: Mapping[type[BaseSettings], str] = {
    Settings: "market / risk / strategy",
    LLMSettings: "LLM advisor",
    OpsSettings: "notifications and ops",
}
# The only setting the running app re-reads: the screen switches to the saved theme at
# once. Everything else is read once at start-up (frozen settings passed down).
APPLIED_NOW = frozenset({"THEME"})
_HINTS: Mapping[str, str] = {
    "SYMBOLS": "symbols separated by commas, each quoted in QUOTE_ASSET",
    "STRATEGY_PARAMS": 'a JSON object, e.g. {"fast": 9}',
    "TUI_TRADER_DATA_DIR": "a directory: the journal, logs and kill switch live there",
    "THEME": "a theme name: trader-dark, trader-light, trader-mono or one in <data dir>/themes",
    "STRATEGY": "a strategy name, e.g. conservative, rsi, ema_cross, macd",
}


@dataclass(frozen=True, slots=True)
class SettingInfo:
    group: str
    name: str  # the environment / .env name
    value: str  # as the next start reads it; masked when it looks like a secret
    source: Source
    restart: bool  # False only for what the running app applies at once
    accepts: str  # what the start-up validation accepts, in a few words
    default: str
    file_value: str | None  # the .env line's value when the environment overrides it
    masked: bool = False  # the value looked like a secret: never prefilled for editing
    # The strategy's parameter file sets it in its [settings] table (that strategy runs
    # with `chosen_value`; the value above applies to the other strategies).
    chosen_by: str | None = None
    chosen_value: str | None = None


@dataclass(frozen=True, slots=True)
class SettingsListing:
    settings: tuple[SettingInfo, ...]
    env_file: Path
    problem: str | None = None  # `.env` cannot be read: shown, and nothing is written


@dataclass(frozen=True, slots=True)
class FieldRef:
    group: type[BaseSettings]
    field_name: str
    info: FieldInfo

    @property
    def init_key(self) -> str:
        """The keyword the group's constructor takes (the alias when there is one)."""
        alias = self.info.validation_alias or self.info.alias
        return alias if isinstance(alias, str) else self.field_name


def editable_fields() -> dict[str, FieldRef]:
    """Every setting by its environment name; secret-like names are left out, so a
    secret added to a settings group one day still never reaches the screen."""
    found = {}
    for group in SETTINGS_GROUPS:
        for name, info in group.model_fields.items():
            key = env_name(name, info.validation_alias or info.alias)
            if not is_secret_name(key):
                found[key] = FieldRef(group, name, info)
    return found


def default_text(ref: FieldRef) -> str:
    return as_text(ref.info.get_default(call_default_factory=True))


def as_text(value: object) -> str:
    """A setting's value as it would be written in `.env`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple | list):
        return ",".join(as_text(part) for part in value)
    if isinstance(value, dict):
        return json.dumps(value) if value else ""
    return "" if value is None else str(value)


def environment_names(env: Mapping[str, str]) -> dict[str, str]:
    """The environment by upper-case name: settings ignore case (case_sensitive=False)."""
    return {name.upper(): value for name, value in env.items()}


def list_settings(env_file: Path, env: Mapping[str, str] | None = None) -> SettingsListing:
    """Blocking (reads `env_file`): call it off the event loop. A `.env` that start-up
    would refuse is reported in `problem` and left out of the values."""
    environment = environment_names(os.environ if env is None else env)
    problem = None
    try:
        in_file = read_env_file(env_file)
    except ConfigError as exc:
        in_file, problem = {}, str(exc)
    rows = tuple(_info(name, ref, environment, in_file) for name, ref in editable_fields().items())
    try:
        rows = _strategy_choices(rows)
    except (ConfigError, StrategyParamError) as exc:
        problem = problem or str(exc)
    return SettingsListing(rows, env_file, problem)


def _strategy_choices(rows: tuple[SettingInfo, ...]) -> tuple[SettingInfo, ...]:
    """The rows the next start's strategy sets in its own file, marked with its value."""
    by_name = {row.name: row for row in rows}
    strategy, data_dir = by_name["STRATEGY"].value, by_name["TUI_TRADER_DATA_DIR"].value
    table, source = strategy_file_settings(strategy, Path(data_dir).expanduser())
    chosen = {key.upper(): value for key, value in table.items()}
    return tuple(
        replace(row, chosen_by=source, chosen_value=redact(as_text(chosen[row.name])))
        if row.name in chosen and per_strategy(row.name.lower())
        else row
        for row in rows
    )


def _info(
    name: str, ref: FieldRef, environment: Mapping[str, str], in_file: Mapping[str, str]
) -> SettingInfo:
    default = default_text(ref)
    source: Source = "default"
    value = default
    if name in environment:
        source, value = "environment", environment[name]
    elif name in in_file:
        source, value = ".env", in_file[name]
    shown = redact(value)
    file_value = in_file.get(name) if source == "environment" else None
    return SettingInfo(
        group=GROUP_LABELS.get(ref.group, ref.group.__name__),
        name=name,
        value=shown,
        source=source,
        restart=name not in APPLIED_NOW,
        accepts=accepts(name, ref.info),
        default=default,
        file_value=None if file_value is None else redact(file_value),
        masked=shown != value,
    )


def accepts(name: str, info: FieldInfo) -> str:
    """What validation accepts, from the field's type and bounds."""
    if name in _HINTS:
        return _HINTS[name]
    kind, rules = _plain_type(info.annotation)
    if get_origin(kind) is Literal:
        return "one of: " + ", ".join(str(choice) for choice in get_args(kind))
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "one of: " + ", ".join(str(member.value) for member in kind)
    if kind is bool:
        return "true or false"
    if kind in (int, float, Decimal):
        noun = "a whole number" if kind is int else "a number"
        return noun + _bounds([*info.metadata, *rules])
    return "text"


def _plain_type(annotation: Any) -> tuple[Any, list[object]]:
    """The type and the bounds inside `Annotated[int, Field(...)] | None`: an optional
    setting is left unset by resetting it to its default."""
    if get_origin(annotation) in (UnionType, Union):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
    if get_origin(annotation) is Annotated:
        kind, *extra = get_args(annotation)
        return kind, [rule for item in extra for rule in getattr(item, "metadata", [item])]
    return annotation, []


def _number(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _bounds(rules: list[object]) -> str:
    parts = []
    for rule in rules:
        if isinstance(rule, Ge):
            parts.append(f"≥ {_number(rule.ge)}")
        elif isinstance(rule, Gt):
            parts.append(f"> {_number(rule.gt)}")
        elif isinstance(rule, Le):
            parts.append(f"≤ {_number(rule.le)}")
        elif isinstance(rule, Lt):
            parts.append(f"< {_number(rule.lt)}")
    return " " + ", ".join(parts) if parts else ""
