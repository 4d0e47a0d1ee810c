"""Every name the program reads from `.env` and the environment, built from the settings
classes, and the strict reading of `.env` that refuses what none of them knows.

A typo in `.env` (MAX_DAILY_LOS_PCT=1) would otherwise be ignored silently and the real
limit would stay at its default. The process environment is full of unrelated variables,
so there an unknown name is only a doctor warning (`unknown_lookalikes`)."""

import difflib
import io
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from dotenv.parser import Binding, parse_stream
from pydantic_settings import BaseSettings

from tui_trader.config import ENV_FILE, ConfigError, Settings
from tui_trader.llm.settings import LLMSettings
from tui_trader.ops.settings import OpsSettings
from tui_trader.secrets.env import ENV_VARS

# Every settings group: a new group must be added here (a unit test checks that every
# BaseSettings subclass in the package is).
SETTINGS_GROUPS: tuple[type[BaseSettings], ...] = (Settings, LLMSettings, OpsSettings)
_UPPER_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# difflib ratio: "did you mean" in .env; "looks like one of ours" in the environment.
SUGGEST_CUTOFF = 0.6
LOOKALIKE_CUTOFF = 0.8


class UnknownSetting(ConfigError):
    """A `.env` name no settings group knows (the rest of the file may be fine)."""


def env_name(field_name: str, alias: object) -> str:
    return alias.upper() if isinstance(alias, str) else field_name.upper()


def setting_names(groups: Iterable[type[BaseSettings]] = SETTINGS_GROUPS) -> frozenset[str]:
    """The environment names of every field of `groups` (the alias when there is one)."""
    return frozenset(
        env_name(name, field.validation_alias or field.alias)
        for group in groups
        for name, field in group.model_fields.items()
    )


@cache
def known_names() -> frozenset[str]:
    """Settings plus the secrets paper mode may take from the environment or `.env`."""
    secrets = {name for names in ENV_VARS.values() for name in names}
    return setting_names() | secrets


def closest_name(name: str, cutoff: float = SUGGEST_CUTOFF) -> str | None:
    found = difflib.get_close_matches(name.upper(), sorted(known_names()), n=1, cutoff=cutoff)
    return found[0] if found else None


def _did_you_mean(name: str) -> str:
    close = closest_name(name)
    if close is None:
        return "no setting has a similar name; .env.example lists them all"
    return f"did you mean {close}?"


def read_env_file(path: Path = Path(ENV_FILE)) -> dict[str, str]:
    """The KEY=VALUE pairs of `path` (none when it does not exist), or ConfigError with
    one line naming the file and line: text that is not UTF-8, a line that is not
    KEY=VALUE, or a key that no settings group knows."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(_read_text(path))):
        key = _checked_key(path, binding)
        if key is not None and binding.value is not None:
            values[key] = binding.value
    return values


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def _checked_key(path: Path, binding: Binding) -> str | None:
    """The binding's key in upper case; None for a blank or comment line."""
    text = binding.original.string
    # The parser counts from the blank lines before a statement; point at the statement.
    line = binding.original.line + text[: len(text) - len(text.lstrip())].count("\n")
    shown = text.strip().splitlines()[0][:40] if text.strip() else ""
    if binding.error or (binding.key is not None and binding.value is None):
        raise ConfigError(f"{path}, line {line}: expected KEY=VALUE, found {shown!r}")
    if binding.key is None:
        return None
    key = binding.key.upper()
    if key not in known_names():
        raise UnknownSetting(f"{path}, line {line}: unknown setting {key} ({_did_you_mean(key)})")
    return key


def _prefixes() -> frozenset[str]:
    """First words shared by two or more known names (MAX_, LLM_, TELEGRAM_, ...)."""
    words = [name.split("_", 1)[0] + "_" for name in known_names() if "_" in name]
    return frozenset(word for word in words if words.count(word) > 1)


def unknown_lookalikes(env: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Upper-case variables of `env` that look like settings (our prefix, or a name close
    to a known one) but are none: (name, the closest known name or None), sorted."""
    known, prefixes = known_names(), _prefixes()
    found = []
    for name in sorted(env):
        if name in known or not _UPPER_NAME.match(name):
            continue
        close = closest_name(name, LOOKALIKE_CUTOFF)
        if close is not None or name.startswith(tuple(prefixes)):
            found.append((name, close or closest_name(name)))
    return found
