"""Themes as data: TOML files in the top-level `themes/` folder, validated on load.

Operators may add their own in `<data dir>/themes/`. A file that fails validation is
reported, not fatal: the app notifies the operator and falls back to the default theme.
Trading colours are theme variables so that `.tcss` files never carry a colour."""

import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "trader-dark"
MONO_THEME = "trader-mono"

# Used when a theme lacks a variable, and by the fallback when the default file is bad.
TRADING_VARIABLE_DEFAULTS: dict[str, str] = {
    "price-up": "green",
    "price-down": "red",
    "live-mode": "magenta",
    "severity-info": "dodgerblue",
    "severity-warning": "orange",
    "severity-critical": "red",
}


def themes_dir() -> Path:
    """Where the shipped themes live: the checkout's `themes/` next to the package, else
    the copy an installed wheel puts under `<prefix>/share/tui-trader/themes`."""
    package = Path(__file__).resolve().parents[1]
    candidates = (
        package.parent / "themes",
        package / "themes",
        Path(sys.prefix) / "share" / "tui-trader" / "themes",
    )
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def _check_colour(value: str) -> str:
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ValueError(f"{value!r} is not a colour") from exc
    return value


class _Colors(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    primary: str
    secondary: str | None = None
    accent: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None

    @field_validator("*")
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        return None if value is None else _check_colour(value)


class ThemeFile(BaseModel):
    """The schema of one theme file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    dark: bool = True
    colors: _Colors
    variables: dict[str, str] = Field(default_factory=dict)

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, str]) -> dict[str, str]:
        missing = sorted(set(TRADING_VARIABLE_DEFAULTS) - set(value))
        if missing:
            raise ValueError(f"missing trading colours: {', '.join(missing)}")
        for colour in value.values():
            _check_colour(colour)
        return value

    def to_theme(self) -> Theme:
        return Theme(
            name=self.name,
            dark=self.dark,
            variables=dict(self.variables),
            **self.colors.model_dump(),
        )


@dataclass(frozen=True, slots=True)
class ThemeProblem:
    path: Path
    message: str


@dataclass(frozen=True, slots=True)
class LoadedThemes:
    themes: tuple[Theme, ...]
    problems: tuple[ThemeProblem, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(theme.name for theme in self.themes)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "file"
    return f"{where}: {str(error['msg']).removeprefix('Value error, ')}"


def load_theme_file(path: Path) -> Theme:
    """Parse and validate one theme file; raises ValueError with a one-line reason."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        theme = ThemeFile.model_validate(raw)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read theme: {exc}") from exc
    except ValidationError as exc:
        raise ValueError(_first_error(exc)) from exc
    if theme.name != path.stem:
        raise ValueError(f"name {theme.name!r} does not match the file name {path.stem!r}")
    return theme.to_theme()


def load_themes(directories: Iterable[Path] | None = None) -> LoadedThemes:
    """Every `*.toml` theme in `directories` (default: the shipped `themes_dir()`). A later
    directory's theme replaces an earlier one of the same name; missing folders are fine."""
    found: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for directory in directories if directories is not None else (themes_dir(),):
        for path in sorted(directory.glob("*.toml")) if directory.is_dir() else ():
            try:
                theme = load_theme_file(path)
            except ValueError as exc:
                problems.append(ThemeProblem(path, str(exc)))
                continue
            found[theme.name] = theme
    themes = tuple(found[name] for name in sorted(found))
    return LoadedThemes(themes, tuple(problems))


def install_themes(app: App[Any], directories: Iterable[Path], wanted: str) -> tuple[str, ...]:
    """Register every valid theme with `app`, tell the operator about bad files, and
    switch to `wanted`, or to the default (with a notification) when it is unusable."""
    loaded = load_themes(directories)
    for theme in loaded.themes:
        app.register_theme(theme)
    for problem in loaded.problems:
        app.notify(
            f"{problem.path.name}: {problem.message}",
            title="Theme file ignored",
            severity="warning",
            markup=False,
        )
    if wanted not in app.available_themes:
        fallback = DEFAULT_THEME if DEFAULT_THEME in loaded.names else "textual-dark"
        app.notify(
            f"Theme {wanted!r} is not available; using {fallback}.",
            title="Theme",
            severity="warning",
            markup=False,
        )
        wanted = fallback
    app.theme = wanted
    return loaded.names
