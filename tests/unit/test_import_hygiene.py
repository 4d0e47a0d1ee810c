"""The pure core imports no screen, no I/O library and no settings machinery: each core
module is imported alone in a fresh interpreter and the forbidden modules are looked for
in what it loaded. This is what lets the same core run headless, in backtests and under
a test-controlled clock."""

import pkgutil
import subprocess
import sys

import pytest

import tui_trader

# The layers below the runtime (ARCHITECTURE.md "Layers", 4 and 5).
CORE_PACKAGES = ("core", "domain", "indicators", "strategies", "risk")
CORE_MODULES = (
    "tui_trader.clock",
    "tui_trader.market.state",
    "tui_trader.execution.gate",
    "tui_trader.execution.order_book",
    "tui_trader.execution.idempotency",
    "tui_trader.execution.commands",
    "tui_trader.brokers.paper_exchange",
    "tui_trader.safety.trading_state",
    "tui_trader.safety.state_machine",
)
FORBIDDEN = (
    "textual",
    "asyncio",
    "aiosqlite",
    "aiohttp",
    "pydantic_settings",
    "openai",
    "binance",
    "alpaca",
    "keyring",
    "tui_trader.config",
    "tui_trader.tui",
    "tui_trader.app",
    "tui_trader.runtime",
    "tui_trader.ops",
    "tui_trader.journal",
)


def core_modules() -> list[str]:
    found = list(CORE_MODULES)
    for package in CORE_PACKAGES:
        path = [f"{tui_trader.__path__[0]}/{package}"]
        found.append(f"tui_trader.{package}")
        found += [f"tui_trader.{package}.{m.name}" for m in pkgutil.iter_modules(path)]
    return found


@pytest.mark.parametrize("module", core_modules())
def test_a_core_module_loads_nothing_forbidden(module: str) -> None:
    probe = (
        f"import sys, {module}\n"
        f"print(' '.join(f for f in {FORBIDDEN!r} if any("
        "m == f or m.startswith(f + '.') for m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == [], f"{module} loads {done.stdout.strip()}"


# What the app's start (`tui-trader`, up to its first frame) must not load unless asked
# for: the openai SDK (~0.4 s) without the advisor, python-binance (~0.1 s) on the
# simulated market, aiohttp (~0.1 s) without Slack, Telegram or the health endpoint, and
# textual-plotext before the chart is first drawn, and the fast backtest path (numba,
# numpy: only `backtest --fast` loads them), nor Alpaca's SDK (only `data download
# --venue alpaca` does, and so not even the backtest command).
LAZY_AT_START = (
    "openai", "binance", "aiohttp", "textual_plotext", "plotext", "numba", "numpy",
    "tui_trader.backtest.fast", "alpaca", "tui_trader.alpaca",
)  # fmt: skip
START_PATH = ("tui_trader.cli", "tui_trader.tui.launch", "tui_trader.runtime.build_trader",
              "tui_trader.backtest.cli")  # fmt: skip


def test_the_app_start_loads_no_optional_library() -> None:
    probe = (
        f"import sys, {', '.join(START_PATH)}\n"
        f"print(' '.join(f for f in {LAZY_AT_START!r} if f in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == [], f"the app's start loads {done.stdout.strip()}"


def test_an_upbit_run_loads_no_binance_code() -> None:
    """VENUE=upbit builds its parts from `tui_trader.upbit` alone: python-binance (slow to
    import) and our Binance adapter stay unloaded."""
    probe = (
        "import sys, tui_trader.runtime.exchange_link, tui_trader.runtime.venue_connect, "
        "tui_trader.upbit.venue_parts\n"
        "print(' '.join(m for m in ('binance', 'tui_trader.binance') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == [], f"an Upbit run loads {done.stdout.strip()}"


def test_an_alpaca_run_loads_no_binance_code() -> None:
    """VENUE=alpaca builds its parts from `tui_trader.alpaca` alone: python-binance and our
    Binance and Upbit adapters stay unloaded."""
    probe = (
        "import sys, tui_trader.runtime.exchange_link, tui_trader.runtime.venue_connect, "
        "tui_trader.alpaca.venue_parts\n"
        "print(' '.join(m for m in ('binance', 'tui_trader.binance', 'tui_trader.upbit') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == [], f"an Alpaca run loads {done.stdout.strip()}"
