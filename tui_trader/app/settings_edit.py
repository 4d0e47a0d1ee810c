"""Saving one setting to `.env` from the settings screen: refused unless start-up would
accept the resulting file, and written atomically with every other line kept.

The check is start-up's own: every settings group is built from the new file (and the
environment) exactly as `tui-trader` builds them, and the strategy's parameters are
resolved as `run` resolves them; the first refusal is the one line start-up would print.
Blocking (file I/O, strategy files): the screen calls it off the event loop."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tui_trader.app.env_file_edit import read_text, replace_atomically, with_setting
from tui_trader.app.settings_list import (
    APPLIED_NOW,
    FieldRef,
    default_text,
    editable_fields,
    environment_names,
)
from tui_trader.config import ConfigError, Settings, load_group, with_strategy_params
from tui_trader.known_settings import SETTINGS_GROUPS, closest_name, read_env_file
from tui_trader.secrets.env import ENV_VARS, is_secret_name


@dataclass(frozen=True, slots=True)
class Saved:
    name: str
    value: str | None  # None: the line was removed, the default applies
    restart: bool  # the running program keeps the old value until restarted
    overridden: bool  # the environment sets it, and wins over `.env` while it does
    note: str  # one line for the operator


def save_setting(
    env_file: Path, name: str, value: str | None, env: Mapping[str, str] | None = None
) -> Saved:
    """Set NAME=value in `env_file` (None: remove the line: back to the default), or
    raise ConfigError with one line; on a refusal the file is not touched."""
    name = name.upper()
    ref = editable_field(name)
    environment = environment_names(os.environ if env is None else env)
    overridden = name in environment
    if value is not None:
        value = value.strip()
    text = read_text(env_file)
    if text is not None:
        read_env_file(env_file)  # a file start-up would refuse is not rewritten blindly
    new_text = with_setting(text or "", name, value)

    def check(candidate: Path) -> None:
        _validate(candidate, ref, value if overridden else None)

    replace_atomically(env_file, new_text, check)
    restart = name not in APPLIED_NOW
    note = _note(name, value, restart, overridden, default_text(ref))
    return Saved(name, value, restart, overridden, note)


def editable_field(name: str) -> FieldRef:
    """The setting called `name`, or ConfigError: secrets and unknown names are refused."""
    name = name.upper()
    if is_secret_name(name):
        raise ConfigError(f"{name} is a secret: {_secret_hint(name)}")
    ref = editable_fields().get(name)
    if ref is None:
        close = closest_name(name)
        hint = f"did you mean {close}?" if close and not is_secret_name(close) else ""
        raise ConfigError(f"unknown setting {name}" + (f" ({hint})" if hint else ""))
    return ref


def _secret_hint(name: str) -> str:
    from tui_trader.secrets.store import SECRET_FIELDS  # keyring: on this refusal only

    # Only a name `keys set` takes (every variable we read a secret from has one).
    stores = [store for (store, _field), names in ENV_VARS.items()
              if name in names and store in SECRET_FIELDS]  # fmt: skip
    if stores:
        return f"it is never shown or written here; store it with `tui-trader keys set {stores[0]}`"
    return "it is never shown or written here; store it with the OS keyring"


def _validate(env_file: Path, ref: FieldRef, forced: str | None) -> None:
    """Every group as start-up builds it from `env_file` and the environment. `forced`:
    the candidate value when the environment overrides the name, so that the value
    written is still checked (with everything else it must agree with)."""
    for group in SETTINGS_GROUPS:
        overrides = {ref.init_key: forced} if forced is not None and group is ref.group else {}
        built = load_group(group, _env_file=env_file, **overrides)
        if isinstance(built, Settings):
            with_strategy_params(built, built.strategy_params)


def _note(name: str, value: str | None, restart: bool, overridden: bool, default: str) -> str:
    done = f"{name} saved to .env"
    if value is None:
        done = f"{name} removed from .env (default: {default or 'not set'})"
    if overridden:
        return (
            f"{done}, but the environment sets {name}, which wins over .env: "
            f"unset it (and restart) for this to apply"
        )
    return f"{done} — restart to apply" if restart else f"{done} — applied now"
