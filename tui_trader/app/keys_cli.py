"""`tui-trader keys ...`: store, list, delete and check secrets in the OS keyring.

Exit codes: 0 done, 1 the keyring failed or had nothing to delete, 2 bad usage or input.
Values are read with a hidden prompt on a terminal, or line by line from a pipe (key, then
secret, for exchange names); they are never printed, only masked by `keys list`."""

import getpass
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from tui_trader.secrets.backend import (
    SecretsError,
    cryptfile_available,
    priority_of,
)
from tui_trader.secrets.redact import default_redactor
from tui_trader.secrets.store import SECRET_FIELDS, SecretStore, UnknownSecretName, fields_of

PASSPHRASE_ENV = "TUI_TRADER_KEYRING_PASSPHRASE"
USAGE = (
    "usage: tui-trader keys set NAME | list | delete NAME | check\n"
    f"  NAME is one of: {', '.join(SECRET_FIELDS)}"
)
Prompt = Callable[[str], str]


class _UsageError(Exception):
    pass


class _Io:
    def __init__(self, stdin: TextIO, stdout: TextIO, stderr: TextIO, prompt: Prompt) -> None:
        self.stdin, self.stdout, self.stderr, self.prompt = stdin, stdout, stderr, prompt

    def say(self, text: str) -> None:
        self.stdout.write(text + "\n")

    def fail(self, text: str) -> None:
        self.stderr.write(text + "\n")


def run_keys(
    argv: Sequence[str],
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    *,
    store_factory: Callable[[], SecretStore] = SecretStore.open,
    prompt: Prompt = getpass.getpass,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run one `keys` subcommand (argv without the leading "keys"); returns the exit code."""
    io = _Io(stdin, stdout, stderr, prompt)
    env = os.environ if env is None else env
    command, args = (argv[0], list(argv[1:])) if argv else ("", [])
    try:
        if command == "set" and len(args) == 1:
            fields_of(args[0])  # a typo fails before anything is asked or opened
            return _with_store(io, store_factory, env, lambda s: _set(io, s, args[0]))
        if command == "delete" and len(args) == 1:
            fields_of(args[0])
            return _with_store(io, store_factory, env, lambda s: _delete(io, s, args[0]))
        if command == "list" and not args:
            return _with_store(io, store_factory, env, lambda s: _list(io, s))
        if command == "check" and not args:
            return _check(io, store_factory, env)
        raise _UsageError(USAGE)
    except (_UsageError, UnknownSecretName) as exc:
        io.fail(str(exc))
        return 2


def _read_values(io: _Io, name: str) -> dict[str, str]:
    """All fields first, so a half-typed pair is never stored."""
    values = {}
    for field in fields_of(name):
        if io.stdin.isatty():
            value = io.prompt(f"{name} {field} (hidden): ")
        else:
            value = io.stdin.readline()
        value = value.strip()
        default_redactor().add(value)  # masked from the moment it is read, stored or not
        if not value:
            expected = " then ".join(fields_of(name))
            raise _UsageError(f"no {field} given for {name} (expected {expected}); nothing stored")
        values[field] = value
    return values


def _with_store(
    io: _Io,
    factory: Callable[[], SecretStore],
    env: Mapping[str, str],
    action: Callable[[SecretStore], int],
) -> int:
    try:
        store = factory()
        _unlock_if_needed(io, store, env)
        return action(store)
    except SecretsError as exc:
        io.fail(str(exc))
        return 1


def _unlock_if_needed(io: _Io, store: SecretStore, env: Mapping[str, str]) -> None:
    if not store.needs_unlock:
        return
    passphrase = env.get(PASSPHRASE_ENV, "")
    if not passphrase and io.stdin.isatty():
        passphrase = io.prompt("Keyring passphrase (hidden): ")
    if not passphrase:
        raise SecretsError(
            f"the encrypted keyring is locked: run from a terminal or set {PASSPHRASE_ENV}"
        )
    store.unlock_sync(passphrase)


def _set(io: _Io, store: SecretStore, name: str) -> int:
    values = _read_values(io, name)
    for field, value in values.items():
        store.put(name, field, value)
    stored = ", ".join(f"{name}:{field}" for field in values)
    io.say(f"stored {stored} in {store.backend_name}")
    return 0


def _delete(io: _Io, store: SecretStore, name: str) -> int:
    deleted = store.remove(name)
    if not deleted:
        io.fail(f"nothing stored under {name} in {store.backend_name}")
        return 1
    io.say(f"deleted {', '.join(deleted)}")
    return 0


def _list(io: _Io, store: SecretStore) -> int:
    masked = store.masked()
    if not masked:
        io.say(f"no secrets stored in {store.backend_name}")
    for user, shown in masked.items():
        io.say(f"{user:<24} {shown}")
    return 0


def _check(io: _Io, factory: Callable[[], SecretStore], env: Mapping[str, str]) -> int:
    extra = "installed" if cryptfile_available() else "not installed"
    io.say(f"encrypted-file extra (keyrings.cryptfile): {extra}")
    try:
        store = factory()
        priority = priority_of(store.backend)
        io.say(f"backend: {store.backend_name} (priority {priority})")
        _unlock_if_needed(io, store, env)
        store.probe()
    except SecretsError as exc:
        io.fail(str(exc))
        io.say("usable: no")
        return 1
    io.say("usable: yes")
    return 0
