"""Secret store on an in-memory keyring, backend selection, key resolution per mode."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail
from keyring.errors import InitError

from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tui_trader.secrets import (
    ExchangeKeysError,
    KeyringLocked,
    LiveKeysError,
    NoKeyringBackend,
    Redactor,
    SecretsError,
    SecretStore,
    UnknownSecretName,
    check_env_file,
    cryptfile_available,
    mask,
    resolve_exchange_keys,
    select_backend,
)

KEY = "kEy0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXk1"
SECRET = "sEcReT0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTs9"


class LowPriorityKeyring(MemoryKeyring):
    priority = 0.5  # type: ignore[assignment]  # like keyrings.alt's plaintext file


class DismissedPromptKeyring(MemoryKeyring):
    """Behaves like Secret Service with a locked collection and no display over SSH."""

    def get_password(self, service: str, username: str) -> str | None:
        raise InitError("Failed to create the collection: Prompt dismissed..")


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    backend = MemoryKeyring()
    with keyring_installed(backend):
        yield backend


@pytest.fixture
def store(memory: MemoryKeyring) -> SecretStore:
    return SecretStore.open(env={}, redactor=Redactor())


# --- backend selection ---------------------------------------------------------------


def test_auto_selects_the_current_recommended_backend(memory: MemoryKeyring) -> None:
    assert select_backend("auto", env={}) is memory


def test_fail_backend_explains_the_headless_options() -> None:
    with keyring_installed(fail.Keyring()), pytest.raises(NoKeyringBackend) as caught:
        select_backend("auto", env={})
    message = str(caught.value)
    assert "keyring.backends.fail.Keyring" in message
    assert "dbus-run-session" in message and "gnome-keyring-daemon --unlock" in message
    assert "pip install keyrings.cryptfile" in message and "SECRETS_BACKEND=cryptfile" in message
    assert "BINANCE_API_KEY" in message and "live mode refuses" in message


def test_low_priority_backend_is_refused() -> None:
    with keyring_installed(LowPriorityKeyring()), pytest.raises(NoKeyringBackend) as caught:
        select_backend("auto", env={})
    assert "priority 0.5" in str(caught.value)


def test_env_variable_names_the_backend(memory: MemoryKeyring) -> None:
    named = f"{MemoryKeyring.__module__}.MemoryKeyring"
    backend = select_backend("auto", env={"PYTHON_KEYRING_BACKEND": named})
    assert isinstance(backend, MemoryKeyring) and backend is not memory


def test_env_variable_with_null_backend_is_refused(memory: MemoryKeyring) -> None:
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    with pytest.raises(NoKeyringBackend, match="silently drop"):
        select_backend("auto", env=env)


def test_env_variable_with_unknown_class_is_refused(memory: MemoryKeyring) -> None:
    env = {"PYTHON_KEYRING_BACKEND": "nowhere.Keyring"}
    with pytest.raises(NoKeyringBackend, match=r"nowhere\.Keyring cannot be loaded"):
        select_backend("auto", env=env)


@pytest.mark.skipif(cryptfile_available(), reason="the optional extra is installed here")
def test_cryptfile_choice_without_the_extra_says_how_to_install(memory: MemoryKeyring) -> None:
    with pytest.raises(NoKeyringBackend, match=r"pip install keyrings\.cryptfile"):
        select_backend("cryptfile", env={})


# --- the store ------------------------------------------------------------------------


async def test_set_list_get_delete_round_trip(store: SecretStore, memory: MemoryKeyring) -> None:
    await store.set_secret("binance", "key", KEY)
    await store.set_secret("binance", "secret", f"  {SECRET}\n")  # pasted with whitespace
    await store.set_secret("telegram", "token", "123456:AAbbCCddEE")
    assert memory.store[("tui-trader", "binance:secret")] == SECRET
    assert await store.list_secrets() == {
        "binance:key": "****WXk1",
        "binance:secret": "****STs9",
        "telegram:token": "****ddEE",
    }
    assert await store.get_secret("binance", "key") == KEY
    assert await store.delete_secret("binance") == ["binance:key", "binance:secret"]
    assert await store.get_secret("binance", "secret") is None
    assert await store.delete_secret("binance") == []
    assert await store.list_secrets() == {"telegram:token": "****ddEE"}


async def test_keyring_calls_run_off_the_event_loop(
    store: SecretStore, memory: MemoryKeyring
) -> None:
    await store.set_secret("openai", "key", "sk-test-0123456789abcdef")
    await store.get_secret("openai", "key")
    await store.list_secrets()
    await store.delete_secret("openai")
    loop_thread = threading.get_ident()
    assert memory.threads and all(thread != loop_thread for thread in memory.threads)


async def test_values_read_or_written_are_registered_for_redaction(memory: MemoryKeyring) -> None:
    redactor = Redactor()
    store = SecretStore.open(env={}, redactor=redactor)
    memory.store[("tui-trader", "slack:webhook")] = "planted-webhook-value-1234"
    await store.set_secret("openai", "key", "my-own-llm-key-5678")
    await store.get_secret("slack", "webhook")
    text = redactor.redact("a=my-own-llm-key-5678 b=planted-webhook-value-1234")
    assert text == "a=****5678 b=****1234"


def test_unknown_names_and_fields_are_refused(store: SecretStore, memory: MemoryKeyring) -> None:
    with pytest.raises(UnknownSecretName, match="known names: binance, binance-testnet"):
        store.put("kraken", "key", KEY)
    with pytest.raises(UnknownSecretName, match="openai has fields key, not 'secret'"):
        store.put("openai", "secret", KEY)
    assert memory.store == {}


@pytest.mark.parametrize("value", ["", "   ", "two\nlines"])
def test_empty_or_multiline_values_are_refused(
    store: SecretStore, memory: MemoryKeyring, value: str
) -> None:
    with pytest.raises(ValueError, match="one non-empty line"):
        store.put("binance", "key", value)
    assert memory.store == {}


def test_backend_errors_become_secrets_errors_with_the_backend_named() -> None:
    with keyring_installed(DismissedPromptKeyring()):
        store = SecretStore.open(env={})
        with pytest.raises(SecretsError, match="DismissedPromptKeyring: Failed to create"):
            store.get("binance", "key")


def test_mask_shows_only_the_last_four_of_long_values() -> None:
    assert mask("abcdefghijklmnop") == "****mnop"
    assert mask("short-value") == "****"  # 11 characters: the tail would give too much away


# --- key resolution per mode -----------------------------------------------------------

ENV = {"BINANCE_API_KEY": KEY, "BINANCE_API_SECRET": SECRET}


async def test_paper_without_keys_needs_none(store: SecretStore) -> None:
    assert await resolve_exchange_keys("paper", {}, store) is None


async def test_testnet_accepts_environment_keys(store: SecretStore) -> None:
    keys = await resolve_exchange_keys("testnet", ENV, store)
    assert keys is not None and (keys.api_key, keys.api_secret, keys.source) == (KEY, SECRET, "env")
    assert KEY not in repr(keys) and SECRET not in repr(keys) and SECRET not in str(keys)


async def test_testnet_prefers_its_own_variables(store: SecretStore) -> None:
    env = {**ENV, "BINANCE_TESTNET_API_KEY": "testnet-key-000000000000"}
    keys = await resolve_exchange_keys("testnet", env, store)
    assert keys is not None and keys.api_key == "testnet-key-000000000000"


async def test_testnet_without_keys_says_where_to_put_them(store: SecretStore) -> None:
    with pytest.raises(ExchangeKeysError, match="keys set binance-testnet") as caught:
        await resolve_exchange_keys("testnet", {}, store)
    assert "BINANCE_TESTNET_API_KEY" in str(caught.value)


async def test_live_refuses_environment_only_keys(store: SecretStore) -> None:
    with pytest.raises(LiveKeysError) as caught:
        await resolve_exchange_keys("live", ENV, store)
    message = str(caught.value)
    assert "refuses BINANCE_API_KEY from the environment" in message
    assert "tui-trader keys set binance" in message and KEY not in message


async def test_live_uses_the_keyring_and_ignores_the_environment(store: SecretStore) -> None:
    await store.set_secret("binance", "key", "keyring-key-0000000000001")
    await store.set_secret("binance", "secret", "keyring-secret-00000000002")
    keys = await resolve_exchange_keys("live", ENV, store)
    assert keys is not None and keys.source == "keyring"
    assert (keys.api_key, keys.api_secret) == (
        "keyring-key-0000000000001",
        "keyring-secret-00000000002",
    )


async def test_live_without_a_keyring_is_refused() -> None:
    with pytest.raises(LiveKeysError, match="no keyring backend is usable"):
        await resolve_exchange_keys("live", ENV, None)


async def test_live_without_any_keys_says_how_to_store_them(store: SecretStore) -> None:
    with pytest.raises(LiveKeysError, match="needs the binance-futures API key and secret"):
        await resolve_exchange_keys("live", {}, store, name="binance-futures")


async def test_half_a_key_pair_is_an_error(store: SecretStore) -> None:
    with pytest.raises(ExchangeKeysError, match="API secret is missing"):
        await resolve_exchange_keys("paper", {"BINANCE_API_KEY": KEY}, store)


# --- .env in live mode -------------------------------------------------------------------


def test_env_file_with_keys_is_refused_in_live_mode(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# keys\n"
        "TRADING_MODE=live\n"
        f"BINANCE_API_SECRET={SECRET}\n"
        "BINANCE_API_KEY=\n"
        "export OPENAI_API_KEY='sk-abc123456789012345678' # note\n"
        'TELEGRAM_BOT_TOKEN=""\n',
        encoding="utf-8",
    )
    problems = check_env_file(env_file, "live")
    assert len(problems) == 2
    assert problems[0].startswith(f"{env_file}:3: BINANCE_API_SECRET holds a secret")
    assert "Move it into the OS keyring" in problems[0]
    assert problems[1].startswith(f"{env_file}:5: OPENAI_API_KEY")
    assert all(SECRET not in p and "sk-abc" not in p for p in problems)


def test_env_file_is_fine_outside_live_mode_or_when_missing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"BINANCE_API_SECRET={SECRET}\n", encoding="utf-8")
    assert check_env_file(env_file, "paper") == []
    assert check_env_file(env_file, "testnet") == []
    assert check_env_file(tmp_path / "missing.env", "live") == []


async def test_encrypted_file_needs_the_passphrase_and_rejects_a_wrong_one(
    tmp_path: Path,
) -> None:
    """Runs where the optional extra is installed (`pip install keyrings.cryptfile`)."""
    pytest.importorskip("keyrings.cryptfile")
    path = tmp_path / "secrets.cfg"
    store = SecretStore.open("cryptfile", env={}, cryptfile_path=path, redactor=Redactor())
    with pytest.raises(KeyringLocked, match="locked"):  # and no getpass() prompt
        await store.get_secret("binance", "key")
    await store.unlock("first passphrase")
    await store.set_secret("binance", "key", KEY)
    again = SecretStore.open("cryptfile", env={}, cryptfile_path=path, redactor=Redactor())
    with pytest.raises(KeyringLocked, match="wrong keyring passphrase"):
        await again.unlock("another passphrase")
    assert again.needs_unlock
    await again.unlock("first passphrase")
    assert await again.get_secret("binance", "key") == KEY
    assert KEY not in path.read_text(encoding="utf-8")
