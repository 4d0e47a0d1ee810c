"""Screenshots of the main screen (80x24 and 160x48) and of every dialog, compared with
accepted SVGs in __snapshots__/. Repeatable: seeded market, frozen clock, a relative data
dir (paths on screen do not change), the first market step only, no cursor blink.
Update with `pytest tests/tui/test_tui_snapshots.py --snapshot-update` after checking
the new SVGs by eye."""

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from tui_support import Cockpit, make_cockpit, market_ready, start_trading, wait_for

from tui_trader.tui.modals.passphrase import LIVE_PHRASE_REQUEST, PassphraseScreen

SnapCompare = Callable[..., bool]
Step = Callable[[Pilot[Any], Cockpit], Awaitable[None]]


@pytest.fixture
def relative_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield Path("data")


def shoot(snap_compare: SnapCompare, size: tuple[int, int], step: Step, **settings: Any) -> bool:
    c = make_cockpit(Path("data"), **settings)

    async def run_before(pilot: Pilot[Any]) -> None:
        await market_ready(pilot, c)
        await step(pilot, c)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause(0.1)

    return snap_compare(c.app, terminal_size=size, run_before=run_before)


async def nothing(pilot: Pilot[Any], c: Cockpit) -> None:
    return None


def press(*keys: str, running: bool = False) -> Step:
    async def step(pilot: Pilot[Any], c: Cockpit) -> None:
        if running:
            await start_trading(pilot, c)
            await pilot.pause(0.1)
        await pilot.press(*keys)
        await pilot.pause(0.2)

    return step


async def live_phrase(pilot: Pilot[Any], c: Cockpit) -> None:
    c.app.push_screen(PassphraseScreen(LIVE_PHRASE_REQUEST))
    await wait_for(pilot, lambda: isinstance(c.app.focused, Input), "phrase input")
    await pilot.press(*"I_UNDERSTAND")


@pytest.mark.usefixtures("relative_data_dir")
class TestScreens:
    def test_main_80x24(self, snap_compare: SnapCompare) -> None:
        assert shoot(snap_compare, (80, 24), nothing)

    def test_main_160x48(self, snap_compare: SnapCompare) -> None:
        assert shoot(snap_compare, (160, 48), nothing)

    def test_main_80x24_monochrome(self, snap_compare: SnapCompare) -> None:
        assert shoot(snap_compare, (80, 24), nothing, theme="trader-mono")

    def test_kill_dialog(self, snap_compare: SnapCompare) -> None:
        assert shoot(snap_compare, (80, 24), press("k"))

    def test_stop_dialog(self, snap_compare: SnapCompare) -> None:
        assert shoot(snap_compare, (80, 24), press("x", running=True))

    def test_quit_dialog(self, snap_compare: SnapCompare) -> None:
        assert shoot(snap_compare, (80, 24), press("q", running=True))

    def test_live_check_dialog(self, snap_compare: SnapCompare) -> None:
        assert shoot(snap_compare, (80, 24), press("l"))

    def test_live_phrase_dialog(self, snap_compare: SnapCompare) -> None:
        assert shoot(snap_compare, (80, 24), live_phrase)

    def test_help_screen(self, snap_compare: SnapCompare) -> None:
        assert shoot(snap_compare, (80, 24), press("question_mark"))
