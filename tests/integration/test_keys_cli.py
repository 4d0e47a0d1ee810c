"""`keys` subcommand: set/list/delete/check on an in-memory keyring, never echoing values."""

import io
from collections.abc import Iterator

import pytest
from keyring.backends import fail

from tests.doubles.memory_keyring import MemoryKeyring, keyring_installed
from tui_trader.app.keys_cli import run_keys
from tui_trader.secrets import SecretStore

KEY = "cliKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
SECRET = "cliSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"


class Terminal(io.StringIO):
    """Standard input that says it is a terminal, as a real TTY would."""

    def isatty(self) -> bool:
        return True


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def shows(self, value: str) -> bool:
        return value in self.out or value in self.err


def keys(*argv: str, stdin: io.StringIO | None = None, answers: list[str] | None = None) -> Result:
    out, err = io.StringIO(), io.StringIO()
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return (answers or []).pop(0)

    code = run_keys(
        list(argv),
        stdin or io.StringIO(""),
        out,
        err,
        store_factory=lambda: SecretStore.open(env={}),
        prompt=prompt,
        env={},
    )
    if answers is not None:
        assert all("(hidden)" in p for p in prompts)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    backend = MemoryKeyring()
    with keyring_installed(backend):
        yield backend


def test_set_reads_key_then_secret_from_a_pipe(memory: MemoryKeyring) -> None:
    result = keys("set", "binance", stdin=io.StringIO(f"{KEY}\n{SECRET}\n"))
    assert result.code == 0
    assert result.out.startswith("stored binance:key, binance:secret in ")
    assert not result.shows(KEY) and not result.shows(SECRET)
    assert memory.store == {
        ("tui-trader", "binance:key"): KEY,
        ("tui-trader", "binance:secret"): SECRET,
    }


def test_upbit_keys_live_under_the_venue_name(memory: MemoryKeyring) -> None:
    """Upbit's access key and secret key: `keys set upbit`, listed masked, deleted."""
    access, secret = (
        "FAKE-upbit-access-0000000000000000000000",
        "FAKE-upbit-secret-000000000000000000000",
    )
    stored = keys("set", "upbit", stdin=io.StringIO(f"{access}\n{secret}\n"))
    assert stored.code == 0 and stored.out.startswith("stored upbit:key, upbit:secret in ")
    assert memory.store == {
        ("tui-trader", "upbit:key"): access,
        ("tui-trader", "upbit:secret"): secret,
    }
    listed = keys("list")
    assert listed.out.splitlines() == [
        f"{'upbit:key':<24} ****0000",
        f"{'upbit:secret':<24} ****0000",
    ]
    assert not listed.shows(access) and not listed.shows(secret)
    assert keys("delete", "upbit").out == "deleted upbit:key, upbit:secret\n"


def test_set_prompts_hidden_on_a_terminal(memory: MemoryKeyring) -> None:
    result = keys("set", "openai", stdin=Terminal(), answers=["sk-typed-0123456789abcdef"])
    assert result.code == 0 and not result.shows("sk-typed-0123456789abcdef")
    assert memory.store[("tui-trader", "openai:key")] == "sk-typed-0123456789abcdef"


def test_half_a_pair_stores_nothing(memory: MemoryKeyring) -> None:
    result = keys("set", "binance-testnet", stdin=io.StringIO(f"{KEY}\n"))
    assert result.code == 2
    assert "no secret given for binance-testnet (expected key then secret)" in result.err
    assert memory.store == {} and not result.shows(KEY)


def test_list_shows_masked_values_only(memory: MemoryKeyring) -> None:
    keys("set", "binance", stdin=io.StringIO(f"{KEY}\n{SECRET}\n"))
    keys("set", "slack", stdin=io.StringIO("https://hooks.slack.com/services/T0/B0/abcdWXYZ\n"))
    result = keys("list")
    assert result.code == 0
    assert result.out.splitlines() == [
        f"{'binance:key':<24} ****UVWX",
        f"{'binance:secret':<24} ****RSTU",
        f"{'slack:webhook':<24} ****WXYZ",
    ]
    assert not result.shows(KEY) and not result.shows(SECRET)


def test_list_when_empty(memory: MemoryKeyring) -> None:
    result = keys("list")
    assert result.code == 0 and result.out.startswith("no secrets stored in ")


def test_delete_then_delete_again(memory: MemoryKeyring) -> None:
    keys("set", "telegram", stdin=io.StringIO("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1\n"))
    first = keys("delete", "telegram")
    assert (first.code, first.out) == (0, "deleted telegram:token\n")
    second = keys("delete", "telegram")
    assert second.code == 1 and "nothing stored under telegram" in second.err
    assert memory.store == {}


def test_check_reports_a_usable_backend(memory: MemoryKeyring) -> None:
    result = keys("check")
    assert result.code == 0
    assert "backend: tests.doubles.memory_keyring.MemoryKeyring (priority 1.0)" in result.out
    assert "encrypted-file extra (keyrings.cryptfile): " in result.out
    assert result.out.endswith("usable: yes\n")


def test_without_a_backend_every_command_explains_what_to_do() -> None:
    with keyring_installed(fail.Keyring()):
        check = keys("check")
        store = keys("set", "binance", stdin=io.StringIO(f"{KEY}\n{SECRET}\n"))
    assert check.code == 1 and check.out.endswith("usable: no\n")
    for result in (check, store):
        assert "No usable keyring backend" in result.err
        assert "dbus-run-session" in result.err and "keyrings.cryptfile" in result.err
    assert not store.shows(KEY)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "usage: tui-trader keys set NAME | list | delete NAME | check"),
        (("set",), "usage:"),
        (("list", "extra"), "usage:"),
        (("rotate", "binance"), "usage:"),
        (("set", "kraken"), "unknown secret name 'kraken'; known names: binance"),
        (("delete", "kraken"), "unknown secret name 'kraken'"),
    ],
)
def test_bad_usage_exits_2(memory: MemoryKeyring, argv: tuple[str, ...], message: str) -> None:
    result = keys(*argv)
    assert result.code == 2 and message in result.err
