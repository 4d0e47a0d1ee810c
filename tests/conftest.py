"""A guard over the whole run: a test that leaves a non-daemon thread behind (say, the
SQLite worker of a journal nobody closed) keeps pytest alive after its summary, and CI
would hang until its time limit. Such a leak ends the run with one line naming the
threads and exit status 3 (or the run's own failure status) instead."""

import os
import sys
import threading
import time

import pytest

LEAK_EXIT = 3
GRACE_S = 3.0  # a closed connection's thread may take a moment to end
_run_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _run_status
    _run_status = int(exitstatus)


def _lingering() -> list[threading.Thread]:
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive()]


def pytest_unconfigure(config: pytest.Config) -> None:
    deadline = time.monotonic() + GRACE_S
    for thread in _lingering():
        thread.join(max(0.0, deadline - time.monotonic()))
    left = _lingering()
    if left:
        names = ", ".join(t.name for t in left)
        sys.stderr.write(f"tests left non-daemon threads running ({names}): a leak\n")
        sys.stderr.flush()
        os._exit(_run_status or LEAK_EXIT)


@pytest.fixture(autouse=True)
def _no_strategy_plugins_left() -> object:
    """Plug-in strategies installed by a test (run and backtest load them) are gone after
    it: the registry's names never depend on the order tests ran in."""
    yield
    from tui_trader.strategies.registry import install_plugins

    install_plugins(())
