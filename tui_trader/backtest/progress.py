"""A progress bar on stderr for long runs (only when stderr is a terminal)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

_CHUNK = 1 << 20


def count_lines(path: Path) -> int | None:
    """Lines in `path` (an upper bound on its candles), or None when it cannot be read
    (the reader reports that properly)."""
    try:
        with path.open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(_CHUNK), b""))
    except OSError:
        return None


class Advance:
    """Called with the count done so far (and the total once it is known); `note` shows
    what the finished part found so far beside the bar (the best result of a sweep)."""

    def __init__(self, progress: Progress | None = None, label: str = "") -> None:
        self._progress = progress
        self._label = label

    def note(self, text: str) -> None:
        if self._progress is not None:
            task = self._progress.task_ids[0]
            self._progress.update(task, description=f"{self._label} · {text}")

    def __call__(self, done: int, total: int | None = None) -> None:
        if self._progress is None:
            return
        task = self._progress.task_ids[0]
        if total is None:
            self._progress.update(task, completed=done)
        else:
            self._progress.update(task, completed=done, total=total)


@contextmanager
def bar(
    enabled: bool, label: str, total: int | None, stderr: Console | None = None
) -> Iterator[Advance]:
    console = stderr or Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield Advance()
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        progress.add_task(label, total=total)
        yield Advance(progress, label)
