"""Fixtures for the cockpit tests."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tui_support import Cockpit, make_cockpit

from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed


@pytest.fixture(autouse=True)
def _no_user_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Screens must not depend on the developer's terminal or settings."""
    for name in ("NO_COLOR", "THEME", "SYMBOLS", "STRATEGY", "SIM_SPEED", "TEXTUAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no stray .env from the caller's cwd
    with keyring_installed(MemoryKeyring()):  # an empty keyring, whatever the machine has
        yield


@pytest.fixture
def cockpit(tmp_path: Path) -> Callable[..., Cockpit]:
    def make(theme: str | None = None, env_file: Path | None = None, **overrides: Any) -> Cockpit:
        return make_cockpit(tmp_path, theme, env_file, **overrides)

    return make
