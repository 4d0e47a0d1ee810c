"""Where numba caches the fast path's compiled code: a folder named by a digest of every
source file of this package.

Numba checks a cached function against its own file's time stamp only, not against the
files of the functions it calls: after an update that changed exact_ints.py alone,
compiled_walk.py's cached machine code would still carry the old arithmetic, and a run
would silently differ from the exact path. Keyed by all the sources together, any change
means a new folder and everything compiled afresh (once, a few seconds). The folder sits
in the package's __pycache__ (numba's usual place), or the user's cache when that is not
writable; NUMBA_CACHE_DIR, when set, is the user's choice and wins (then keep it fresh)."""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numba

HERE = Path(__file__).resolve().parent
PREFIX = "numba-"


def sources_digest(folder: Path = HERE) -> str:
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def use_keyed_cache() -> Path | None:
    """Point numba's cache at the folder for these sources (before any kernel module is
    imported: numba fixes a function's cache place as it is decorated); the folder, or
    None when the user chose one."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    name = PREFIX + sources_digest()
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    scratch = Path(tempfile.gettempdir()) / f"tui-trader-{os.getuid()}"
    for parent in (HERE / "__pycache__", xdg / "tui-trader", scratch):
        folder = parent / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            _drop_others(parent, name)
            numba.config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
            return folder
    raise OSError(f"no writable folder for the compiled code (tried {scratch})")


def _drop_others(parent: Path, keep: str) -> None:
    """Folders of sources no longer here (best effort: another process may be using one)."""
    for old in parent.glob(PREFIX + "*"):
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
