"""The candle column cache: the first read of a CSV writes its columns (columns.py) to one
binary file; later runs, and every grid worker, read that instead of parsing the text.

Why the standard library's `array` and not NumPy or Parquet: the columns are read back
as raw machine words (`array.frombytes`, a copy at memory speed) and iterated in Python
either way, so NumPy would add a dependency and ~0.1 s of import for nothing the runner
uses; Parquet would add a much larger one.

The file is named by a digest of the CSV's bytes with the symbol, interval and format
version: a CSV edited after caching gets a new name, so a stale cache is never read.
Hashing a large CSV costs a tenth of a second a million candles, every run and every
grid worker: the digest is remembered beside the cache under the file's identity (its
path, device, inode, size, and its modification and change times in nanoseconds; the
change time moves on every write and cannot be set back), so it is computed again only
for a file that changed.
The file holds a digest of each of its columns: a truncated or corrupted cache is
detected, ignored and rewritten; a reader that needs only some columns (the fast path)
reads and checks only those. Writes go to a temporary file renamed into place, so a reader
(another grid worker) never sees half a file. A cache folder that cannot be written
costs one warning line; the run goes on from the columns read this time."""

import contextlib
import hashlib
import json
import logging
import os
import string
import struct
import sys
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from tui_trader.backtest.columns import CandleColumns, DroppedRow, NotColumnar, read_columns
from tui_trader.market.feed import FeedError

log = logging.getLogger("tui_trader.backtest.cache")

FORMAT = 2  # 2: a digest per column
ALL_PARTS = tuple(range(16))  # open time, 5 floats, 5 coefficients, 5 exponents
MAGIC = b"TUI-TRADER CANDLE COLUMNS\n"
_HEADER = struct.Struct("<I")  # the length of the JSON meta that follows
_CHUNK = 1 << 20


def cache_key(path: Path, symbol: str, interval: str) -> str:
    """A digest of the file's bytes and what else shapes its columns."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{FORMAT}|{symbol}|{interval}|".encode())
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def remembered_key(path: Path, symbol: str, interval: str, folder: Path) -> str:
    """cache_key(path, ...), remembered in `folder/keys` (see the module docstring);
    raises OSError when `path` cannot be read."""
    st = path.stat()
    identity = (f"{path.resolve()}|{st.st_dev}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}|"
                f"{st.st_ctime_ns}|{FORMAT}|{symbol}|{interval}")  # fmt: skip
    memo = folder / "keys" / _digest(identity.encode())
    try:
        known = memo.read_text()
    except OSError:
        known = ""
    if len(known) == 40 and all(c in string.hexdigits for c in known):
        return known
    key = cache_key(path, symbol, interval)
    with contextlib.suppress(OSError):  # not remembered: hashed again next time
        _write_atomically(memo, key.encode())
    return key


def cache_target(data: Path, symbol: str, interval: str, folder: Path) -> Path:
    """The cache file of `data` in `folder` (there or not); raises OSError."""
    return cache_file(folder, remembered_key(data, symbol, interval, folder))


def cache_file(folder: Path, key: str) -> Path:
    return folder / f"{key}.columns"


def _payload_arrays(columns: CandleColumns) -> list["array[int] | array[float]"]:
    return [columns.open_us, *columns.floats, *columns.coefficients, *columns.exponents]


def _digest(part: bytes | memoryview) -> str:
    return hashlib.blake2b(part, digest_size=20).hexdigest()


def save(columns: CandleColumns, target: Path) -> None:
    """Write `columns` to `target` atomically; raises OSError."""
    parts = [part.tobytes() for part in _payload_arrays(columns)]
    payload = b"".join(parts)
    meta = {
        "format": FORMAT,
        "byteorder": sys.byteorder,
        "count": len(columns),
        "step_us": columns.step_us,
        "gaps": columns.gaps,
        "dropped": [[row.message, row.line, row.before] for row in columns.dropped],
        "digests": [_digest(part) for part in parts],
    }
    head = json.dumps(meta).encode()
    _write_atomically(target, MAGIC + _HEADER.pack(len(head)) + head + payload)


def _write_atomically(target: Path, blob: bytes) -> None:
    """`blob` into `target` by a temporary file renamed into place; raises OSError."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(
    source: Path, symbol: str, interval: str, parts: tuple[int, ...] = ALL_PARTS
) -> CandleColumns | None:
    """The columns cached in `source` (only `parts`, the others left empty), or None
    when it is missing, unreadable, cut short, corrupted or of another format."""
    try:
        with source.open("rb") as handle:
            return _parse(handle, symbol, interval, parts)
    except OSError:
        return None
    except (ValueError, KeyError, TypeError, IndexError, struct.error):
        log.info("candle cache %s is damaged: reading the CSV again", source)
        return None


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a cache file's columns lie: part k is bytes [at + offsets[k], at +
    offsets[k + 1]) of the file, its digest digests[k]."""

    meta: dict[str, Any]
    at: int
    offsets: list[int]

    @property
    def count(self) -> int:
        return int(self.meta["count"])

    @property
    def digests(self) -> list[str]:
        return [str(digest) for digest in self.meta["digests"]]


def layout(handle: BinaryIO) -> Layout:
    """The layout of the cache file open in `handle`; raises ValueError (KeyError,
    struct.error) for a file that is not one of this format or is cut short."""
    if handle.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a candle column file")
    (length,) = _HEADER.unpack(handle.read(_HEADER.size))
    meta = json.loads(handle.read(length))
    if meta["format"] != FORMAT or meta["byteorder"] != sys.byteorder:
        raise ValueError("another format")
    count, at = int(meta["count"]), handle.tell()
    offsets = [0]
    for part in _payload_arrays(CandleColumns("", "", 0)):
        offsets.append(offsets[-1] + count * part.itemsize)
    if handle.seek(0, os.SEEK_END) != at + offsets[-1]:
        raise ValueError("payload size differs from its count")
    return Layout(meta, at, offsets)


def _parse(handle: BinaryIO, symbol: str, interval: str, parts: tuple[int, ...]) -> CandleColumns:
    found = layout(handle)
    meta, at, offsets = found.meta, found.at, found.offsets
    columns = CandleColumns(symbol, interval, int(meta["step_us"]))
    arrays = _payload_arrays(columns)
    for index in parts:
        handle.seek(at + offsets[index])
        blob = handle.read(offsets[index + 1] - offsets[index])
        if _digest(blob) != found.digests[index]:
            raise ValueError("payload digest differs")
        arrays[index].frombytes(blob)
    columns.gaps = [(int(a), int(b), int(n)) for a, b, n in meta["gaps"]]
    columns.dropped = [DroppedRow(str(m), int(line), int(b)) for m, line, b in meta["dropped"]]
    return columns


def candle_columns(
    data: Path,
    symbol: str,
    interval: str,
    step_us: int,
    folder: Path | None,
    parts: tuple[int, ...] = ALL_PARTS,
) -> CandleColumns | None:
    """The file's columns: from the cache in `folder` when it holds them (only `parts`,
    the others left empty), else all of them read from the CSV (and cached there).
    None when the file cannot be read as columns (a row that does not parse, a number
    the columns cannot hold): the caller streams it, which reports
    the problem exactly as before (a bad row past the end of the range is never read)."""
    target = None
    if folder is not None:
        try:
            target = cache_target(data, symbol, interval, folder)
        except OSError:
            return None  # not readable: the stream says so with the file's name
        cached = load(target, symbol, interval, parts)
        if cached is not None and cached.step_us == step_us:
            return cached
    try:
        columns = read_columns(data, symbol, interval, step_us)
    except (FeedError, NotColumnar):
        return None
    if target is not None:
        try:
            save(columns, target)
        except OSError as exc:
            log.warning("candle cache not written (%s): %s; running without it", target, exc)
    return columns
