"""The fast path's compiled code is cached by a digest of all its sources: numba checks a
function against its own file only, so a change in a file it calls (exact_ints.py under
compiled_walk.py) must still mean a fresh compile, never the old machine code."""

from pathlib import Path

import numba
import pytest

from tui_trader.backtest.fast import kernel_cache


def test_any_source_change_changes_the_digest(tmp_path: Path) -> None:
    (tmp_path / "exact_ints.py").write_text("LIMIT = 4\n")
    (tmp_path / "compiled_walk.py").write_text("from exact_ints import LIMIT\n")
    before = kernel_cache.sources_digest(tmp_path)
    (tmp_path / "exact_ints.py").write_text("LIMIT = 5\n")
    assert kernel_cache.sources_digest(tmp_path) != before
    (tmp_path / "new_kernel.py").write_text("")
    assert kernel_cache.sources_digest(tmp_path) != before


def test_the_running_code_compiles_into_the_folder_of_its_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    stale = kernel_cache.HERE / "__pycache__" / f"{kernel_cache.PREFIX}0000000000000000"
    stale.mkdir(parents=True, exist_ok=True)
    folder = kernel_cache.use_keyed_cache()
    assert folder is not None and folder.name == "numba-" + kernel_cache.sources_digest()
    assert str(folder) == numba.config.CACHE_DIR
    assert not stale.exists(), "the folder of other sources is dropped"


def test_a_cache_folder_the_user_chose_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    assert kernel_cache.use_keyed_cache() is None
    assert str(tmp_path) == numba.config.CACHE_DIR
