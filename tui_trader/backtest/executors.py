"""Where a sweep's backtests run: local processes (the default, nothing to install) or a
Dask distributed cluster (`--cluster tcp://HOST:8786`, the `cluster` extra).

Dask over Ray: `distributed` is pure Python and a small install, a scheduler and its
workers start with two commands (`dask scheduler`, `dask worker tcp://...`) or a
`LocalCluster` in-process (the tests run one on 127.0.0.1), and a client submits plain
picklable functions, which is all a sweep needs. Ray brings a much larger binary wheel
and its own object store and raylet daemons for features a sweep does not use.

Every task is a module-level function and its arguments (settings, the candle file's
spec, one parameter set): the same call whichever executor runs it, so the results are
equal by construction and a test checks that they are. Results stream back as they
finish: `run` yields (index, result) in completion order."""

import importlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol, Self, TypeVar

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
CLUSTER_EXTRA = "pip install 'tui-trader[cluster]'"


class ExecutorError(Exception):
    """The executor cannot run the sweep (no such cluster, the extra not installed)."""


class Executor(Protocol):
    workers: int  # how many tasks run at once (for messages and chunking)
    where: str  # said in reports: "4 local processes", "Dask cluster tcp://..."

    def run(
        self, task: Callable[[ItemT], ResultT], items: Sequence[ItemT]
    ) -> Iterator[tuple[int, ResultT]]: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class LocalProcesses:
    """One process per worker on this machine."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.where = f"{self.workers} local process{'es' if self.workers != 1 else ''}"
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def run(
        self, task: Callable[[ItemT], ResultT], items: Sequence[ItemT]
    ) -> Iterator[tuple[int, ResultT]]:
        if self._pool is None:
            raise ExecutorError("LocalProcesses.run outside its `with` block")
        futures = {self._pool.submit(task, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            yield futures[future], future.result()


class DaskCluster:
    """The workers of a running Dask scheduler. Each worker needs this package (the same
    version) installed and the candle file at the same path (a shared disk)."""

    def __init__(self, address: str, timeout_s: float = 10.0) -> None:
        self.address = address
        self.where = f"Dask cluster {address}"
        self.workers = 1
        self._timeout_s = timeout_s
        self._client: Any = None
        self._dask: Any = None  # the `distributed` module, imported on entry

    def __enter__(self) -> Self:
        try:
            self._dask = importlib.import_module("distributed")
        except ImportError:
            raise ExecutorError(f"--cluster needs the cluster extra: {CLUSTER_EXTRA}") from None
        try:
            self._client = self._dask.Client(
                self.address, timeout=self._timeout_s, set_as_default=False
            )
        except (OSError, TimeoutError, ValueError) as exc:
            where = self.address
            raise ExecutorError(f"cannot reach the Dask scheduler at {where}: {exc}") from None
        threads = self._client.nthreads()
        self.workers = max(1, sum(threads.values()))
        self.where = f"Dask cluster {self.address} ({len(threads)} workers)"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def run(
        self, task: Callable[[ItemT], ResultT], items: Sequence[ItemT]
    ) -> Iterator[tuple[int, ResultT]]:
        if self._client is None:
            raise ExecutorError("DaskCluster.run outside its `with` block")
        # pure=False: two equal parameter sets are two tasks (Dask would merge them).
        futures = self._client.map(task, list(items), pure=False)
        index = {future.key: position for position, future in enumerate(futures)}
        for future in self._dask.as_completed(futures, loop=self._client.loop):
            yield index[future.key], future.result()


def open_executor(cluster: str | None, workers: int | None, tasks: int) -> Executor:
    """The executor a sweep of `tasks` backtests asks for (not yet entered)."""
    if cluster:
        return DaskCluster(cluster)
    return LocalProcesses(min(workers or os.cpu_count() or 1, max(1, tasks)))
