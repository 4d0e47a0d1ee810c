"""The encrypted-file keyring asks for its passphrase in a masked modal at start, before
the trader reads any key; a wrong passphrase is refused and asked again. Runs against a
real keyrings.cryptfile file (the optional extra, installed with the test extra)."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_support import Cockpit, market_ready, wait_for

from tui_trader.secrets import Redactor, SecretStore, process_store
from tui_trader.tui.modals.passphrase import PassphraseScreen

Make = Callable[..., Cockpit]


def asking(c: Cockpit) -> bool:
    screen = c.app.screen
    return isinstance(screen, PassphraseScreen) and bool(screen.query("#phrase"))


PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_store_cache() -> Iterator[None]:
    process_store._UNLOCKABLE.clear()
    yield
    process_store._UNLOCKABLE.clear()


def encrypted_keyring(data_dir: Path) -> None:
    pytest.importorskip("keyrings.cryptfile")
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SecretStore.open(
        "cryptfile", env={}, cryptfile_path=data_dir / "secrets.cfg", redactor=Redactor()
    )
    store.unlock_sync(PASSPHRASE)
    store.put("binance", "key", "test-key-aaaaaaaaaaaa")
    store.put("binance", "secret", "test-secret-bbbbbbbbbb")


async def type_and_submit(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    field = pilot.app.screen.query_one("#phrase", Input)
    field.value = text
    await pilot.press("enter")


async def test_passphrase_modal_at_start_refuses_a_wrong_one(cockpit: Make, tmp_path: Path) -> None:
    encrypted_keyring(tmp_path)
    c = cockpit(SECRETS_BACKEND="cryptfile")
    async with c.app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: asking(c), "modal", 20)
        assert c.app.screen.query_one("#phrase", Input).password  # masked
        assert c.app.trader_state != "open"  # nothing read a key yet
        await type_and_submit(pilot, "wrong passphrase")
        await pilot.pause(2.0)  # key derivation takes a moment
        await wait_for(pilot, lambda: asking(c), "asked again", 20)
        await type_and_submit(pilot, PASSPHRASE)
        await market_ready(pilot, c)
        assert c.trader.live_check().keys_in_keyring
