"""An in-memory keyring backend for tests, installed with `keyring.set_keyring`."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # a recommended backend, like the OS ones

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}
        self.threads: list[int] = []  # which thread made each call (off-loop checks)

    def get_password(self, service: str, username: str) -> str | None:
        self.threads.append(threading.get_ident())
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.threads.append(threading.get_ident())
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.threads.append(threading.get_ident())
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError(f"{username} not found")


@contextmanager
def keyring_installed(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """Make `backend` keyring's current backend, restoring the previous one after."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


class UpbitDoubleKeyring(MemoryKeyring):
    """A memory keyring holding the Upbit double's (fake) keys under `upbit`: a child
    process started with PYTHON_KEYRING_BACKEND=tests.doubles.memory_keyring.
    UpbitDoubleKeyring can go live on the double (tests/e2e/test_tmux_order_stream.py)."""

    def __init__(self) -> None:
        from tests.doubles.upbit_exchange import ACCESS, SECRET

        super().__init__()
        self.store[("tui-trader", "upbit:key")] = ACCESS
        self.store[("tui-trader", "upbit:secret")] = SECRET
