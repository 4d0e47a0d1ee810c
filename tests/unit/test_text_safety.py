"""Outside text made printable: no escape sequences, no control characters, bounded."""

import time

import pytest

from tui_trader.text_safety import ELLIPSIS, printable, printable_lines

ESC = "\x1b"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (f"{ESC}[31mred{ESC}[0m plain", "red plain"),  # SGR colour
        (f"{ESC}[2J{ESC}[Hcleared", "cleared"),  # erase screen, cursor home
        (f"{ESC}[38;2;255;0;0mtrue{ESC}[m", "true"),  # truecolour parameters
        (f"{ESC}[?1049hpoof", "poof"),  # private mode (alternate screen)
        (f"{ESC}]0;owned title\x07after", "after"),  # OSC title, BEL-terminated
        (f"{ESC}]8;;http://evil.example{ESC}\\link{ESC}]8;;{ESC}\\", "link"),  # OSC 8 link
        (f"{ESC}]52;c;Y3VybA=={ESC}\\x", "x"),  # OSC 52: write the clipboard
        (f"{ESC}P1$qm{ESC}\\dcs", "dcs"),  # DCS string
        (f"{ESC}cafter reset", "after reset"),  # RIS, two-character escape
        (f"{ESC}(0box", "box"),  # charset selection
        (f"broken {ESC}[3", "broken 3"),  # unfinished CSI: introducer gone, text left
        ("\x9b31mc1 csi\x9d0;t\x9c", "c1 csi"),  # 8-bit CSI and OSC
    ],
)
def test_escape_sequences_are_removed_whole(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert printable_lines(raw) == shown


def test_c0_c1_and_del_are_dropped() -> None:
    raw = "a\x00b\x07c\x08d\x7fe\x80f\x9fg\x1b"  # a lone ESC at the end, too
    assert printable(raw) == "abcdefg"


def test_line_breaks_and_tabs_become_spaces_on_one_line() -> None:
    assert printable("a\tb\nc\r\nd\re\x0bf\x0cg\u2028h\x85i") == "a b c d e f g h i"


def test_line_breaks_stay_as_newlines_when_asked() -> None:
    assert printable_lines("a\tb\nc\r\nd\re\u2029f") == "a b\nc\nd\ne\nf"


def test_bidi_overrides_and_isolates_are_dropped() -> None:
    # "Trojan source": U+202E would show "txt.exe" as "exe.txt".
    raw = "invoice\u202etxt.exe \u2066iso\u2069 \u200fmark\u200e \ufeffbom \u061calm"
    assert printable(raw) == "invoicetxt.exe iso mark bom alm"


def test_markup_is_not_touched() -> None:
    # Markup is for the widgets to show literally; this layer only removes controls.
    for text in ("[/]", "[/INST]", "[@click=app.quit]quit[/]", "[bold red]x[/]"):
        assert printable(text) == text


def test_long_text_is_bounded_with_an_ellipsis() -> None:
    assert printable("x" * 100, 10) == "x" * 9 + ELLIPSIS
    assert printable("x" * 10, 10) == "x" * 10
    assert printable(f"{ESC}[31m" + "y" * 20, 10) == "y" * 9 + ELLIPSIS
    assert printable_lines("line\n" * 100, 12) == "line\nline\nl" + ELLIPSIS
    assert printable("anything", 0) == ""


def test_a_huge_reply_costs_only_what_is_shown() -> None:
    huge = (f"{ESC}[31m" + "z" * 999 + "\n") * 2_000  # ~2 MB
    started = time.perf_counter()
    shown = printable(huge, 60)
    assert time.perf_counter() - started < 0.01
    assert shown == "z" * 59 + ELLIPSIS


def test_plain_text_is_returned_unchanged_and_fast() -> None:
    text = "EMA cross with rising volume; BTCUSDT 42,000.50 (conf 0.80) — ünïcödé ✓ 한국어"
    assert printable(text) is text  # no copy when there is nothing to do
    assert printable_lines(text) is text
    started = time.perf_counter()
    for _ in range(10_000):
        printable(text)
    # ~0.4 µs each here; a generous bound that still catches an accidental slow path.
    assert time.perf_counter() - started < 0.25
