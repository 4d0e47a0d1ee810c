"""Size-rotated JSON Lines files, one per category: `orders.jsonl` rolls to
`orders.jsonl.1` … `orders.jsonl.<backups>`, the oldest dropped.

Blocking file I/O: the journal writer calls `write` through `asyncio.to_thread`."""

import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

CATEGORIES = ("decisions", "orders", "fills", "balances", "safety", "general")


class RotatingJsonl:
    def __init__(self, directory: Path, max_bytes: int, backups: int) -> None:
        if max_bytes < 1:
            raise ValueError(f"jsonl max_bytes must be positive, got {max_bytes}")
        if backups < 0:
            raise ValueError(f"jsonl backups must be 0 or more, got {backups}")
        self.directory = directory
        self.max_bytes = max_bytes
        self.backups = backups
        self._files: dict[str, BinaryIO] = {}
        self._sizes: dict[str, int] = {}

    def path(self, category: str) -> Path:
        if category not in CATEGORIES:
            raise ValueError(f"unknown JSONL category {category!r}; one of {CATEGORIES}")
        return self.directory / f"{category}.jsonl"

    def write(self, lines: Iterable[tuple[str, str]]) -> None:
        """Append (category, line) pairs; each line is whole JSON without the newline.
        A line is never split: one larger than max_bytes gets a file of its own."""
        touched: set[str] = set()
        for category, line in lines:
            data = line.encode() + b"\n"
            handle = self._handle(category)
            if self._sizes[category] and self._sizes[category] + len(data) > self.max_bytes:
                handle = self._rotate(category)
            handle.write(data)
            self._sizes[category] += len(data)
            touched.add(category)
        for category in touched:
            self._files[category].flush()

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        self._sizes.clear()

    def _handle(self, category: str) -> BinaryIO:
        handle = self._files.get(category)
        if handle is None:
            path = self.path(category)
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = self._files[category] = path.open("ab")
            self._sizes[category] = path.stat().st_size
        return handle

    def _rotate(self, category: str) -> BinaryIO:
        self._files.pop(category).close()
        base = self.path(category)
        if self.backups == 0:
            base.unlink()
        else:
            for n in range(self.backups - 1, 0, -1):
                older = base.with_name(f"{base.name}.{n}")
                if older.exists():
                    os.replace(older, base.with_name(f"{base.name}.{n + 1}"))
            os.replace(base, base.with_name(f"{base.name}.1"))
        return self._handle(category)
