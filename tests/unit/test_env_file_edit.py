"""One line of `.env` changed, everything else byte for byte, written atomically; a disk
that refuses the write leaves the old file as it was."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tui_trader.app.env_file_edit import env_line, replace_atomically, with_setting
from tui_trader.app.settings_edit import save_setting
from tui_trader.config import ConfigError

FILE = "# header\n\n\nA=1  # one\nexport B='two words'\n# tail comment\n"


def test_with_setting_changes_one_statement_only() -> None:
    assert with_setting(FILE, "A", "9") == FILE.replace("A=1  # one", "A=9")
    assert with_setting(FILE, "B", "x") == FILE.replace("export B='two words'", "export B=x")
    assert with_setting(FILE, "C", "3") == FILE + "C=3\n"
    # The blank lines above a removed line stay: only the statement goes.
    assert with_setting(FILE, "A", None) == FILE.replace("A=1  # one\n", "")
    assert with_setting("", "C", "3") == "C=3\n"
    assert with_setting(FILE, "C", None) == FILE


def test_values_are_quoted_so_they_read_back_exactly() -> None:
    assert env_line("S", "BTCUSDT,ETHUSDT") == "S=BTCUSDT,ETHUSDT"
    assert env_line("P", '{"fast": 9}') == "P='{\"fast\": 9}'"
    assert env_line("P", "it's # not a comment") == "P='it\\'s # not a comment'"
    assert with_setting("", "P", "back\\slash 'q'") == "P='back\\\\slash \\'q\\''\n"
    with pytest.raises(ConfigError, match="one line"):
        env_line("P", "a\nb")


def test_a_failed_check_removes_the_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\n")

    def refuse(candidate: Path) -> None:
        assert candidate.parent == tmp_path and candidate.read_text() == "A=2\n"
        raise ConfigError("refused")

    with pytest.raises(ConfigError, match="refused"):
        replace_atomically(path, "A=2\n", refuse)
    assert path.read_text() == "A=1\n" and os.listdir(tmp_path) == [".env"]


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Not writable for this user. Root ignores modes, so it gets `chattr +i`."""
    if os.geteuid() != 0:
        directory.chmod(0o500)
        try:
            yield
        finally:
            directory.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    assert chattr is not None, "root needs chattr to make a directory read-only"
    subprocess.run([chattr, "+i", str(directory)], check=True)
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(directory)], check=True)


def test_a_read_only_directory_is_a_clear_error_and_the_file_is_intact(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    path = folder / ".env"
    path.write_text("SIM_SEED=1\n")
    with read_only(folder), pytest.raises(ConfigError) as refused:
        save_setting(path, "SIM_SEED", "2")
    assert str(refused.value).startswith(f"cannot write {path}: ")
    assert str(refused.value).endswith("was left unchanged")
    assert path.read_text() == "SIM_SEED=1\n" and os.listdir(folder) == [".env"]


def test_an_env_that_cannot_be_read_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".env").mkdir()
    with pytest.raises(ConfigError, match="cannot read"):
        save_setting(tmp_path / ".env", "SIM_SEED", "2")
