"""User strategies as plug-ins: Python files in a strategies folder (`<data dir>/strategies`
and `./strategies`, beside the parameter files) and installed packages that name a
Strategy class in the `tui_trader.strategies` entry-point group.

Each is checked like a built-in: a subclass of Strategy with a lower-case `name` no other
strategy has, a StrategyParams model whose defaults validate, a warm-up that can be
computed. A plug-in that fails any of that (a syntax error, an import it lacks, a name
taken) is a PluginProblem with one line saying why; the others still load and the
trader still starts. Loading runs the plug-in's code: only install what you trust."""

import importlib.util
import inspect
import logging
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType

from tui_trader.strategies.base import Strategy, StrategyParams
from tui_trader.strategies.params import strategy_dirs
from tui_trader.strategies.registry import builtin_names, install_plugins
from tui_trader.text_safety import printable

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "tui_trader.strategies"
MODULE_PREFIX = "tui_trader_plugin_"  # sys.modules names of strategy files
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True, slots=True)
class Plugin:
    cls: type[Strategy]
    source: str  # the file, or "entry point <name> (<distribution>)"


@dataclass(frozen=True, slots=True)
class PluginProblem:
    source: str
    reason: str  # one line

    def describe(self) -> str:
        return f"strategy plug-in {self.source}: {self.reason}"


@dataclass(frozen=True, slots=True)
class PluginSet:
    plugins: tuple[Plugin, ...] = ()
    problems: tuple[PluginProblem, ...] = ()

    def named(self, name: str) -> Plugin | None:
        return next((p for p in self.plugins if p.cls.name == name), None)


def load_plugins(data_dir: Path, *, packages: bool = True) -> PluginSet:
    """Discover the plug-ins beside the parameter files (and installed ones) and make
    them known by name; returns what was found and what failed."""
    found = discover(strategy_dirs(data_dir), builtin_names(), packages=packages)
    install_plugins((p.cls for p in found.plugins), (p.describe() for p in found.problems))
    return found


def discover(folders: Sequence[Path], taken: Iterable[str], *, packages: bool = True) -> PluginSet:
    """Every plug-in in `folders` (`*.py`, sorted) and, with `packages`, the entry-point
    group; `taken` are the names already used (the built-ins)."""
    names = set(taken)
    plugins: list[Plugin] = []
    problems: list[PluginProblem] = []
    loaders = [(str(path), partial(_file_classes, path)) for path in _files(folders)]
    if packages:
        loaders += [(_describe(ep), partial(_entry_point_classes, ep)) for ep in _entry_points()]
    for source, load in loaders:
        try:
            found = [_checked(cls, names) for cls in load()]
        except (Exception, SystemExit) as exc:  # a plug-in's own code failing: said, not fatal
            problems.append(PluginProblem(source, _one_line(exc)))
            continue
        for cls in found:
            names.add(cls.name)
            plugins.append(Plugin(cls, source))
    for problem in problems:
        log.warning(problem.describe())
    return PluginSet(tuple(plugins), tuple(problems))


def _files(folders: Sequence[Path]) -> list[Path]:
    seen: set[Path] = set()
    files = []
    for folder in folders:
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            if path.name.startswith("_") or path.resolve() in seen:
                continue
            seen.add(path.resolve())
            files.append(path)
    return files


def _file_classes(path: Path) -> list[type[Strategy]]:
    module = _load_file(path)
    classes = [
        obj for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, Strategy) and obj.__module__ == module.__name__
        and not inspect.isabstract(obj)
    ]  # fmt: skip
    if not classes:
        raise ValueError("defines no Strategy subclass")
    return classes


def _load_file(path: Path) -> ModuleType:
    name = MODULE_PREFIX + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError("cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pydantic look their module up
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _describe(ep: EntryPoint) -> str:
    dist = ep.dist.name if ep.dist is not None else "?"
    return f"entry point {ep.name} ({dist})"


def _entry_point_classes(ep: EntryPoint) -> list[type[Strategy]]:
    loaded = ep.load()
    if not (inspect.isclass(loaded) and issubclass(loaded, Strategy)):
        raise ValueError(f"{ep.value} is not a Strategy subclass")
    return [loaded]


def _checked(cls: type[Strategy], taken: set[str]) -> type[Strategy]:
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{cls.__name__}.name must be lower-case letters, digits and _")
    if name in taken:
        raise ValueError(f"the name {name!r} is taken by another strategy")
    params = getattr(cls, "Params", None)
    if not (inspect.isclass(params) and issubclass(params, StrategyParams)):
        raise ValueError(f"{cls.__name__}.Params must subclass StrategyParams")
    if cls._decide is Strategy._decide and cls._step is Strategy._step:
        raise ValueError(f"{cls.__name__} defines neither _decide(bar) nor _step(candle)")
    probe = cls("BTCUSDT", {})  # the defaults validate and the set-up runs
    if not isinstance(probe.warmup_period, int) or probe.warmup_period < 0:
        raise ValueError(f"{cls.__name__}.warmup_period must be a whole number >= 0")
    return cls


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return printable(text, 300)
