"""Changing one line of `.env` and nothing else, and writing the file atomically.

Every other line (comments, blank lines, secrets the operator put there, the order) is
kept byte for byte: the file is split into python-dotenv's own statements, whose texts
put back together are the file. The new file is written beside the old one, synced and
renamed over it, so a crash or a full disk leaves the old file or the new one, never
half of either."""

import io
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from tui_trader.config import ConfigError

NEW_FILE_MODE = 0o600  # `.env` may hold secrets the operator wrote there
_BARE = re.compile(r"^[A-Za-z0-9_.,:/@+\-]*$")  # written without quotes
_EXPORT = re.compile(r"^\s*export\s+")


def env_line(name: str, value: str) -> str:
    """`NAME=value`, single-quoted unless plain (JSON, spaces, `#`), never multi-line."""
    if any(ch in value for ch in "\r\n\x00"):
        raise ConfigError(f"{name}: a value must be one line")
    if _BARE.match(value):
        return f"{name}={value}"
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"{name}='{escaped}'"


def with_setting(text: str, name: str, value: str | None) -> str:
    """`text` with NAME set to `value` in place (every line that sets it: the last one
    wins when read, so they all change), appended when absent, or removed when `value`
    is None. The result is read back and must give exactly `value`."""
    parts, found = [], False
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        if binding.key is None or binding.key.upper() != name:
            parts.append(original)
            continue
        found = True
        parts.append(_replaced(original, None if value is None else env_line(name, value)))
    if value is not None and not found:
        parts.append(("\n" if text and not text.endswith("\n") else "") + env_line(name, value))
        parts.append("\n")
    result = "".join(parts)
    _check_reads_back(result, name, value)
    return result


def _replaced(original: str, line: str | None) -> str:
    """`line` in place of the statement in `original` (None: removed), keeping the blank
    lines the parser gave it in front, an `export ` prefix and the line end."""
    body = original.lstrip("\n")
    lead = original[: len(original) - len(body)]
    if line is None:
        return lead
    export = match.group(0).lstrip() if (match := _EXPORT.match(body)) else ""
    return lead + export + line + ("\n" if body.endswith("\n") else "")


def _check_reads_back(text: str, name: str, value: str | None) -> None:
    """Read as the settings read it (python-dotenv, with `${VAR}` expansion)."""
    read = {key.upper(): val for key, val in dotenv_values(stream=io.StringIO(text)).items()}
    if read.get(name) != value:
        raise ConfigError(
            f"{name}: this value cannot be written to .env as it is "
            "(`${...}` would be expanded when read)"
        )


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist (a read error is a ConfigError)."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text; it was left as it is") from None


def replace_atomically(path: Path, text: str, check: Callable[[Path], None]) -> None:
    """Write `text` to a temporary file beside `path`, run `check` on it (it raises
    ConfigError to refuse), then rename it over `path`. On any failure `path` is left
    untouched and the temporary file removed. A symlinked `.env` keeps its link: the
    file it points to is replaced."""
    target = Path(os.path.realpath(path))
    temp: Path | None = None
    try:
        mode = _mode_of(target)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        temp = Path(name)
        _write_synced(fd, text, mode)
        check(temp)
        os.replace(temp, target)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}; {path} was left unchanged"
        ) from None
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)
    _sync_directory(target.parent)


def _mode_of(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return NEW_FILE_MODE


def _write_synced(fd: int, text: str, mode: int) -> None:
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, mode)  # mkstemp made it 0600: the old file's mode is kept
        file.write(text.encode("utf-8"))
        file.flush()
        os.fsync(fd)


def _sync_directory(directory: Path) -> None:
    """The rename itself reaches the disk (best effort: the file is already complete)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
