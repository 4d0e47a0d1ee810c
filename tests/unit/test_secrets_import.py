"""Importing tui_trader.secrets must not import `keyring` (~50 ms at every start); its
names still resolve to the objects of the modules that define them."""

import importlib
import subprocess
import sys
from types import ModuleType

import pytest

import tui_trader.secrets as secrets

# By path: the package's own `redact` attribute is the function of that name.
MODULES = [
    importlib.import_module(f"tui_trader.secrets.{name}")
    for name in ("backend", "env", "redact", "store")
]

# Run in a fresh interpreter: other tests have long since imported keyring here.
CHEAP_IMPORTS = """
import sys
import tui_trader.secrets
assert "keyring" not in sys.modules, "import tui_trader.secrets"
from tui_trader.secrets import SecretsError, NoKeyringBackend, default_redactor, mask
assert "keyring" not in sys.modules, "the exceptions and redaction"
from tui_trader.secrets import ExchangeKeys, KeyMode, resolve_exchange_keys
import tui_trader.binance.venue_parts
assert "keyring" not in sys.modules, "key resolution, as the Binance wiring imports it"
from tui_trader.secrets import SecretStore
assert SecretStore.__module__ == "tui_trader.secrets.store"
print("ok")
"""


def test_the_package_and_its_exceptions_load_without_keyring() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHEAP_IMPORTS], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__)
def test_every_exported_name_is_the_defining_modules_object(module: ModuleType) -> None:
    names = [name for name in secrets.__all__ if name in vars(module)]
    assert names
    for name in names:
        assert getattr(secrets, name) is getattr(module, name)


def test_every_name_in_all_resolves_and_unknown_names_fail() -> None:
    assert all(hasattr(secrets, name) for name in secrets.__all__)
    assert set(secrets.__all__) <= set(dir(secrets))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = secrets.nothing_here


def test_redact_is_the_function_even_after_its_module_was_imported() -> None:
    # The function shares its module's name; importing the module by path must not
    # replace the package's `redact` with the module.
    module = importlib.import_module("tui_trader.secrets.redact")
    from tui_trader.secrets import redact

    assert redact is module.redact
