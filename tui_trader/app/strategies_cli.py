"""`tui-trader strategies list`: every strategy by name with its parameters and their
defaults, where each plug-in came from, and the plug-ins that failed to load (said,
never fatal: exit 0)."""

from collections.abc import Callable
from pathlib import Path

from tui_trader.strategies.base import Strategy, show_value
from tui_trader.strategies.plugins import PluginSet, load_plugins
from tui_trader.strategies.registry import builtin_names, strategy_class
from tui_trader.text_safety import printable

Print = Callable[[str], None]


def list_strategies(data_dir: Path, out: Print = print) -> int:
    found = load_plugins(data_dir)
    out("built-in strategies:")
    for name in sorted(builtin_names()):
        out(_line(strategy_class(name)))
    _plugins(found, out)
    return 0


def _plugins(found: PluginSet, out: Print) -> None:
    if found.plugins:
        out("plug-ins:")
        for plugin in found.plugins:
            out(_line(plugin.cls) + f"   [{printable(plugin.source, 120)}]")
    else:
        out("plug-ins: none (put a strategy file in <data dir>/strategies/NAME.py)")
    for problem in found.problems:
        out(f"WARN {problem.describe()}")


def _line(cls: type[Strategy]) -> str:
    defaults = cls.Params()
    params = " ".join(
        f"{name}={show_value(getattr(defaults, name))}" for name in type(defaults).model_fields
    )
    return f"  {cls.name:<16} {printable(params, 200)}"
